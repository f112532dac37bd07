-- Maker–checker (R-ACC-1): a change that needs a second person waits here
-- until a different staff member holding review.confirm for the
-- municipality confirms it (then it is applied in the same transaction)
-- or rejects it. The proposed values are sealed by the vault; blind holds
-- the blind indexes of fields the checker keys in again without seeing
-- the first entry (blind double entry), as JSON {"field": "hex"}.
CREATE TABLE review_changes (
    id                  {{serial}},
    tenant_code         TEXT NOT NULL,
    ref                 TEXT NOT NULL UNIQUE,
    kind                TEXT NOT NULL CHECK (kind <> ''),
    subject_type        TEXT NOT NULL,
    subject_id          TEXT NOT NULL,
    summary             TEXT NOT NULL,
    seal_scope          TEXT NOT NULL,
    payload_sealed      {{bytes}} NOT NULL,
    payload_key_version INTEGER NOT NULL,
    blind               TEXT NOT NULL DEFAULT '{}',
    maker_id            BIGINT NOT NULL REFERENCES staff_users (id),
    maker_department    TEXT NOT NULL DEFAULT '',
    maker_section       TEXT NOT NULL DEFAULT '',
    made_at             {{time}} NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected', 'withdrawn')),
    mismatches          INTEGER NOT NULL DEFAULT 0,
    checker_id          BIGINT REFERENCES staff_users (id),
    decided_at          {{time}},
    reason              TEXT NOT NULL DEFAULT '',
    CHECK (checker_id IS NULL OR checker_id <> maker_id),
    CHECK (seal_scope = tenant_code)
);
CREATE INDEX review_changes_queue ON review_changes (tenant_code, status, maker_department, maker_section);
CREATE INDEX review_changes_subject ON review_changes (tenant_code, subject_type, subject_id, status);

-- Alerts for the privacy manager (R-AC-4, R-AUD-4): raised by rules such
-- as too many My Number reveals by one user in an hour; acknowledged with
-- a comment.
CREATE TABLE alerts (
    id          {{serial}},
    tenant_code TEXT NOT NULL DEFAULT '',
    rule        TEXT NOT NULL CHECK (rule <> ''),
    subject     TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    raised_at   {{time}} NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'acknowledged')),
    ack_by      TEXT NOT NULL DEFAULT '',
    ack_at      {{time}},
    comment     TEXT NOT NULL DEFAULT '',
    -- what makes two alerts the same (rule-specific: who, where, which
    -- hour or day): one alert per key, even with several processes.
    dedupe      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_open ON alerts (status, raised_at);
CREATE UNIQUE INDEX alerts_dedupe ON alerts (rule, dedupe) WHERE dedupe <> '';
