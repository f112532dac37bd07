-- NHI qualification documents (R-NHI-2; internal/nhi): what was issued to
-- whom, kept whole. Since 2 December 2024 no new 被保険者証 is issued: the
-- insurer issues a 資格確認書 (valid up to five years, as it sets) to those
-- who do not use the My Number card as their insurance card and a
-- 資格情報のお知らせ to those who do; cards issued before stay as history.
-- The kinds, with the dates they may be issued and their longest
-- validity, are data; nothing issued is overwritten: a return, an
-- invalidation or a reissue is an event of the document.
CREATE TABLE nhi_document_kinds (
    kind            TEXT PRIMARY KEY,
    name_ja         TEXT NOT NULL,
    issuable_from   DATE,    -- NULL: no start
    issuable_until  DATE,    -- NULL: still issued
    has_validity    BOOLEAN NOT NULL, -- printed with a validity (有効期限)
    max_valid_years INTEGER,          -- NULL: no limit in law (the insurer's own)
    source          TEXT NOT NULL
);
INSERT INTO nhi_document_kinds VALUES
    ('card', '被保険者証', NULL, '2024-12-01', TRUE, NULL, '令和6年12月2日以降は新規発行なし（既存の証は最長令和7年12月1日まで有効）。faq.myna.go.jp/faq/show/3505（docs/domain-facts.md）'),
    ('certificate', '資格確認書', '2024-12-02', NULL, TRUE, 5, 'マイナ保険証を利用しない被保険者に申請によらず交付、有効期間は保険者が5年以内で設定。faq.myna.go.jp/faq/show/3505（docs/domain-facts.md）'),
    ('notice', '資格情報のお知らせ', '2024-12-02', NULL, FALSE, NULL, 'マイナ保険証の利用登録者に資格取得時等に交付、単独では受診に使えない。faq.myna.go.jp/faq/show/3505（docs/domain-facts.md）');

CREATE TABLE nhi_documents (
    id            INTEGER PRIMARY KEY,
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    kind          TEXT NOT NULL REFERENCES nhi_document_kinds (kind),
    insured_number TEXT NOT NULL, -- as printed: 記号・番号（枝番） on the day of issue
    issued_on     DATE NOT NULL,
    valid_until   DATE,
    delivery      TEXT NOT NULL CHECK (delivery IN ('mail', 'counter')),
    delivered_on  DATE,
    reason        TEXT NOT NULL CHECK (reason IN ('new', 'renewal', 'lost', 'damaged', 'changed', 'history')),
    replaces      BIGINT REFERENCES nhi_documents (id),
    recorded_at   TIMESTAMP NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX nhi_documents_person ON nhi_documents (tenant_code, resident_code, id);

-- What befell a document after it was issued: returned (返還), invalidated
-- (無効: the eligibility was lost) or replaced by a reissue.
CREATE TABLE nhi_document_events (
    id            INTEGER PRIMARY KEY,
    tenant_code   TEXT NOT NULL,
    document_id   BIGINT NOT NULL REFERENCES nhi_documents (id),
    event         TEXT NOT NULL CHECK (event IN ('returned', 'invalidated', 'replaced')),
    effective_on  DATE NOT NULL,
    recorded_at   TIMESTAMP NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX nhi_document_events_document ON nhi_document_events (tenant_code, document_id);
-- Row-level security is PostgreSQL's (see 0022_nhi_documents.postgres.sql);
-- on SQLite the tenant predicate of every query is the wall.
