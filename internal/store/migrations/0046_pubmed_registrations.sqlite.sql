-- 登録者証 (指定難病要支援者証明事業, from April 2024): the registration
-- certificate a prefecture issues to a patient who meets the diagnostic
-- criteria of a designated disease, whether or not the severity criteria
-- for the medical-care subsidy are met. It has a first day and no end
-- (期限の定めなし); it ends only by return, death or moving away.
CREATE TABLE pubmed_registrations (
    id              INTEGER PRIMARY KEY,
    tenant_code     TEXT NOT NULL,
    number          TEXT NOT NULL,  -- 登録者証番号
    resident_code   TEXT NOT NULL,
    disease_code    TEXT NOT NULL,
    disease_name    TEXT NOT NULL,  -- kept, never printed on the certificate
    disease_version TEXT NOT NULL,
    basis           TEXT NOT NULL CHECK (basis IN ('recipient', 'not_severe', 'mild')),
    evidence        TEXT NOT NULL,  -- the document that shows the diagnosis (臨床調査個人票 …)
    application_id  BIGINT REFERENCES pubmed_applications (id),  -- the subsidy application, when one was made
    health_centre   TEXT NOT NULL,
    received_on     DATE NOT NULL,
    valid_from      DATE NOT NULL,
    ended_on        DATE,
    end_reason      TEXT NOT NULL DEFAULT '',
    issued_at       TIMESTAMP NOT NULL,
    issued_by       TEXT NOT NULL
);
CREATE INDEX pubmed_registrations_person ON pubmed_registrations (tenant_code, resident_code, id);
CREATE UNIQUE INDEX pubmed_registrations_number ON pubmed_registrations (tenant_code, number);
