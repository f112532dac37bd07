-- 70–74 (R-NHI-3, R-NHI-2; internal/nhi): the 高齢受給者証 as a document
-- kind, the cost-share ratio a document printed when it was issued (the
-- 高齢受給者証, and the 資格確認書 of a member aged 70–74) with the
-- decision it was read from, why each cost-share decision was made (the
-- yearly decision, a clerk's, or the re-decision that follows a change of
-- household or income), and the yearly decision's runs started from the
-- screen or the command, with their progress and report.
INSERT INTO nhi_document_kinds (kind, name_ja, issuable_from, issuable_until, has_validity, max_valid_years, source) VALUES
    ('elderly', '高齢受給者証', NULL, NULL, TRUE, 1,
     '70〜74歳の被保険者に一部負担金の割合（2割・3割）を記載して交付する。適用は70歳の誕生日の翌月1日（1日生まれはその月）から、'
     || '有効期限は割合の適用期間の終わり（7月31日）、ただし75歳の誕生日の前日まで（誕生日に後期高齢者医療へ移行）。'
     || '資格確認書を交付する70〜74歳の被保険者には資格確認書に割合を記載する。bango は期限を適用期間の中に限る（max_valid_years は1年）。');

ALTER TABLE nhi_documents ADD COLUMN valid_from DATE; -- 発効期日 of a 高齢受給者証
ALTER TABLE nhi_documents ADD COLUMN cost_share_ratio INTEGER CHECK (cost_share_ratio IN (2, 3)); -- as printed
ALTER TABLE nhi_documents ADD COLUMN cost_share_decision BIGINT REFERENCES nhi_cost_share_decisions (id);

-- decision: a clerk's (or the API's) decision for a household on a date;
-- yearly: the decision of 1 August; household, income: the re-decision
-- that follows a confirmed change of the household or of a member's
-- income, from the day it takes effect. cause_detail says which.
ALTER TABLE nhi_cost_share_decisions ADD COLUMN cause TEXT NOT NULL DEFAULT 'decision' CHECK (cause IN ('decision', 'yearly', 'household', 'income'));
ALTER TABLE nhi_cost_share_decisions ADD COLUMN cause_detail TEXT NOT NULL DEFAULT '';

-- A run of the yearly decision: started by whom, how far it has gone
-- (households done of total, written after each batch) and its report.
CREATE TABLE nhi_cost_share_runs (
    id          INTEGER PRIMARY KEY,
    tenant_code TEXT NOT NULL,
    fiscal_year INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    done        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    report      TEXT NOT NULL DEFAULT '', -- JSON, when done
    error       TEXT NOT NULL DEFAULT '',
    started_at  TIMESTAMP NOT NULL,
    started_by  TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL, -- its last progress: a run silent for long was stopped with its server
    finished_at TIMESTAMP
);
CREATE INDEX nhi_cost_share_runs_tenant ON nhi_cost_share_runs (tenant_code, id);
