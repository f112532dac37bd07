-- Data linkage (R-LNK-1…4, R-ACC-5, R-NHI-8; internal/linkage, issue 20).
-- Row-level security on PostgreSQL: at the end of the .postgres.sql of this
-- number; on SQLite the tenant predicate of every query is the wall.

-- A partner is an external system one municipality exchanges files with,
-- in one direction only (R-LNK-2): inbound files it sends to bango, or
-- outbound files bango produces for it. What is not configured here has no
-- route at all: a partner, layout or direction missing is refused.
CREATE TABLE linkage_partners (
    tenant_code      TEXT NOT NULL,
    partner          TEXT NOT NULL CHECK (partner <> ''),
    title            TEXT NOT NULL DEFAULT '',
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    -- An inbound file is held for a second person's confirmation
    -- (maker–checker, R-ACC-1) before it is applied.
    confirm          {{bool}} NOT NULL,
    active           {{bool}} NOT NULL,
    created_at       {{time}} NOT NULL,
    created_by       TEXT NOT NULL,
    PRIMARY KEY (tenant_code, partner)
);

-- The layouts a partner may send or receive (by layout name; the version is
-- the file's).
CREATE TABLE linkage_partner_layouts (
    tenant_code TEXT NOT NULL,
    partner     TEXT NOT NULL,
    layout      TEXT NOT NULL CHECK (layout <> ''),
    PRIMARY KEY (tenant_code, partner, layout),
    FOREIGN KEY (tenant_code, partner) REFERENCES linkage_partners (tenant_code, partner)
);

-- Every import and export: who, when, the file's SHA-256, its counts and
-- what became of it. report holds the problems found (line, field, reason:
-- never a field's content) as JSON. A file is applied at most once per
-- partner and layout: the unique index holds for an applied file and one
-- waiting for confirmation, so that a replay, even a concurrent one, fails.
CREATE TABLE linkage_jobs (
    id             {{serial}},
    tenant_code    TEXT NOT NULL,
    partner        TEXT NOT NULL,
    layout         TEXT NOT NULL,
    layout_version INTEGER NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    file_name      TEXT NOT NULL DEFAULT '',
    sha256         TEXT NOT NULL,
    bytes          BIGINT NOT NULL,
    records        INTEGER NOT NULL,
    applied        INTEGER NOT NULL DEFAULT 0,
    problems       INTEGER NOT NULL DEFAULT 0,
    -- applied: in the database; pending: held for confirmation; rejected: a
    -- check failed, nothing applied; replay: the same file was applied
    -- before; declined: the checker rejected it; exported: an outbound file
    -- produced.
    outcome        TEXT NOT NULL CHECK (outcome IN ('applied', 'pending', 'rejected', 'replay', 'declined', 'exported')),
    report         TEXT NOT NULL DEFAULT '',
    review_change  BIGINT,
    started_by     TEXT NOT NULL,
    started_at     {{time}} NOT NULL,
    ended_at       {{time}},
    decided_by     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX linkage_jobs_once ON linkage_jobs (tenant_code, partner, layout, sha256) WHERE outcome IN ('applied', 'pending');
CREATE INDEX linkage_jobs_tenant ON linkage_jobs (tenant_code, id);

-- An inbound file held for confirmation, as received, until its job ends
-- (confirmed and applied, or declined); then purged, and the purge is an
-- audit event (R-LNK-1).
CREATE TABLE linkage_staging (
    tenant_code TEXT NOT NULL,
    job_id      BIGINT NOT NULL REFERENCES linkage_jobs (id),
    seq         INTEGER NOT NULL,
    chunk       {{bytes}} NOT NULL,
    PRIMARY KEY (job_id, seq)
);

-- The differences received from the municipality's resident-records system
-- (住民記録 異動分, layout resident-differences), one row per record of an
-- applied file, with the job that brought it. resident_code is the file's
-- 宛名番号 without its leading zeros, as bango keeps resident codes.
CREATE TABLE linkage_resident_differences (
    tenant_code   TEXT NOT NULL,
    job_id        BIGINT NOT NULL REFERENCES linkage_jobs (id),
    line          INTEGER NOT NULL,
    change        TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    household_no  TEXT NOT NULL,
    name          TEXT NOT NULL,
    name_kana     TEXT NOT NULL,
    birth_date    DATE NOT NULL,
    sex           TEXT NOT NULL,
    relation      TEXT NOT NULL,
    postal        TEXT NOT NULL,
    address       TEXT NOT NULL,
    effective     DATE NOT NULL,
    PRIMARY KEY (job_id, line)
);
CREATE INDEX linkage_resident_differences_resident ON linkage_resident_differences (tenant_code, resident_code, change);
