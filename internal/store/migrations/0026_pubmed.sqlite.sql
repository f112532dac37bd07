-- Public-expense medical care (R-PUB-1, R-PUB-3; internal/pubmed): the
-- applications received at health centres as a checker confirmed them,
-- the recipient certificates (受給者証) decided from them with the cap and
-- the table version and figures it was read from, the monthly co-payment
-- record (自己負担上限額管理票), and the ledger of the cabinets that keep the
-- evidence papers. The caps and the disease master are data files of the
-- package (internal/pubmed/data), not rows. Nothing is overwritten: a
-- renewal or change is a new certificate, an end is a date on the old one,
-- a paper's move or disposal is an event.
CREATE TABLE pubmed_applications (
    id             INTEGER PRIMARY KEY,
    tenant_code    TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('new', 'renewal', 'change', 'cancel')),
    resident_code  TEXT NOT NULL,
    programme      TEXT NOT NULL CHECK (programme IN ('nanbyo', 'shoman')),
    disease_code   TEXT NOT NULL,
    category       TEXT NOT NULL,
    flags          TEXT NOT NULL,  -- comma-separated: high_long, severe, ventilator
    institutions   TEXT NOT NULL,  -- JSON array of the designated medical institutions
    health_centre  TEXT NOT NULL,
    received_on    DATE NOT NULL,
    effective_on   DATE,           -- a change's or cancellation's first day
    certificate_id BIGINT,         -- the certificate a renewal, change or cancellation concerns
    status         TEXT NOT NULL CHECK (status IN ('received', 'approved', 'rejected')),
    reject_reason  TEXT NOT NULL DEFAULT '',
    confirmed_at   TIMESTAMP NOT NULL,
    confirmed_by   TEXT NOT NULL,
    decided_at     TIMESTAMP,
    decided_by     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pubmed_applications_centre ON pubmed_applications (tenant_code, health_centre, status, id);
CREATE INDEX pubmed_applications_person ON pubmed_applications (tenant_code, resident_code, id);

CREATE TABLE pubmed_certificates (
    id             INTEGER PRIMARY KEY,
    tenant_code    TEXT NOT NULL,
    number         TEXT NOT NULL,  -- 受給者番号, kept through renewals and changes
    resident_code  TEXT NOT NULL,
    application_id BIGINT NOT NULL REFERENCES pubmed_applications (id),
    programme      TEXT NOT NULL,
    disease_code   TEXT NOT NULL,
    disease_name   TEXT NOT NULL,
    disease_version TEXT NOT NULL,
    category       TEXT NOT NULL,
    flags          TEXT NOT NULL,
    institutions   TEXT NOT NULL,
    valid_from     DATE NOT NULL,
    valid_until    DATE NOT NULL,
    cap_yen        BIGINT NOT NULL,
    cap_basis      TEXT NOT NULL,  -- JSON: column, table version, its figures and source
    ended_on       DATE,           -- the last day, when ended before valid_until
    end_reason     TEXT NOT NULL DEFAULT '',
    replaces       BIGINT REFERENCES pubmed_certificates (id),
    issued_at      TIMESTAMP NOT NULL,
    issued_by      TEXT NOT NULL
);
CREATE INDEX pubmed_certificates_person ON pubmed_certificates (tenant_code, resident_code, id);
CREATE INDEX pubmed_certificates_number ON pubmed_certificates (tenant_code, number);

CREATE TABLE pubmed_copayments (
    id             INTEGER PRIMARY KEY,
    tenant_code    TEXT NOT NULL,
    certificate_id BIGINT NOT NULL REFERENCES pubmed_certificates (id),
    month          TEXT NOT NULL,  -- YYYY-MM
    service_date   DATE NOT NULL,
    institution    TEXT NOT NULL,
    amount         BIGINT NOT NULL CHECK (amount >= 0),  -- the co-payment the institution charged
    total_after    BIGINT NOT NULL,                      -- the month's total with this one, up to the cap
    recorded_at    TIMESTAMP NOT NULL,
    recorded_by    TEXT NOT NULL
);
CREATE INDEX pubmed_copayments_month ON pubmed_copayments (tenant_code, certificate_id, month, id);

CREATE TABLE pubmed_cabinets (
    id           INTEGER PRIMARY KEY,
    tenant_code  TEXT NOT NULL,
    name         TEXT NOT NULL,
    location     TEXT NOT NULL,
    locked       BOOLEAN NOT NULL,
    staff_only   BOOLEAN NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    recorded_by  TEXT NOT NULL,
    UNIQUE (tenant_code, name)
);

CREATE TABLE pubmed_evidence (
    id             INTEGER PRIMARY KEY,
    tenant_code    TEXT NOT NULL,
    application_id BIGINT NOT NULL REFERENCES pubmed_applications (id),
    description    TEXT NOT NULL,
    cabinet_id     BIGINT REFERENCES pubmed_cabinets (id),  -- NULL once disposed
    disposed_on    DATE,
    recorded_at    TIMESTAMP NOT NULL,
    recorded_by    TEXT NOT NULL
);
CREATE INDEX pubmed_evidence_application ON pubmed_evidence (tenant_code, application_id, id);

CREATE TABLE pubmed_evidence_events (
    id           INTEGER PRIMARY KEY,
    tenant_code  TEXT NOT NULL,
    evidence_id  BIGINT NOT NULL REFERENCES pubmed_evidence (id),
    event        TEXT NOT NULL CHECK (event IN ('stored', 'moved', 'disposed')),
    from_cabinet BIGINT REFERENCES pubmed_cabinets (id),
    to_cabinet   BIGINT REFERENCES pubmed_cabinets (id),
    reason       TEXT NOT NULL,
    at           TIMESTAMP NOT NULL,
    by_user      TEXT NOT NULL
);
CREATE INDEX pubmed_evidence_events_evidence ON pubmed_evidence_events (tenant_code, evidence_id, id);
-- Row-level security is PostgreSQL's (see 0026_pubmed.postgres.sql); on
-- SQLite the tenant predicate of every query is the wall.
