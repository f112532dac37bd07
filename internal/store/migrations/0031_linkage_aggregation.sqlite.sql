-- issue 20 part B: the NHI aggregation system's inbound files, the resident
-- differences applied, and scheduled linkage jobs (R-NHI-8, R-LNK-1;
-- internal/linkage, internal/resident).

-- 高額該当回数情報 (layout nhi-high-cost-count, monthly): per insured
-- person (resolved from the insured number at import) the month of care
-- and how many times the household reached the high-cost limit in the 12
-- months up to it (多数回該当), for the benefits module.
CREATE TABLE linkage_nhi_high_cost (
    tenant_code    TEXT NOT NULL,
    job_id         BIGINT NOT NULL REFERENCES linkage_jobs (id),
    line           INTEGER NOT NULL,
    insured_symbol TEXT NOT NULL,
    insured_number TEXT NOT NULL,
    branch         TEXT NOT NULL,
    resident_code  TEXT NOT NULL DEFAULT '',
    care_month     TEXT NOT NULL, -- YYYYMM
    hits           INTEGER NOT NULL CHECK (hits >= 0),
    PRIMARY KEY (job_id, line)
);
CREATE INDEX linkage_nhi_high_cost_person ON linkage_nhi_high_cost (tenant_code, resident_code, care_month);

-- 帳票 (layout nhi-distributed-reports): the reports the aggregation system
-- distributes, one row a line of a report, kept for the NHI section.
CREATE TABLE linkage_nhi_report_lines (
    tenant_code  TEXT NOT NULL,
    job_id       BIGINT NOT NULL REFERENCES linkage_jobs (id),
    line         INTEGER NOT NULL,
    report_no    TEXT NOT NULL,
    report_code  TEXT NOT NULL,
    report_title TEXT NOT NULL,
    created      DATE NOT NULL,
    line_no      INTEGER NOT NULL,
    body         TEXT NOT NULL,
    PRIMARY KEY (job_id, line)
);
CREATE INDEX linkage_nhi_report_lines_report ON linkage_nhi_report_lines (tenant_code, job_id, report_no, line_no);

-- Who opened which report, when (each opening is also an audit event).
CREATE TABLE linkage_nhi_report_opens (
    id          {{serial}},
    tenant_code TEXT NOT NULL,
    job_id      BIGINT NOT NULL REFERENCES linkage_jobs (id),
    report_no   TEXT NOT NULL,
    opened_by   TEXT NOT NULL,
    opened_at   {{time}} NOT NULL
);
CREATE INDEX linkage_nhi_report_opens_report ON linkage_nhi_report_opens (tenant_code, job_id, report_no);

-- 世帯継続性判定 (layout nhi-household-continuity): each judgement received
-- is a work item; NHI staff confirm it or correct it, and the decision goes
-- back in the next eligibility-continuity file (sent_job).
CREATE TABLE linkage_nhi_continuity (
    tenant_code    TEXT NOT NULL,
    job_id         BIGINT NOT NULL REFERENCES linkage_jobs (id),
    line           INTEGER NOT NULL,
    judgement_no   TEXT NOT NULL,
    insured_symbol TEXT NOT NULL,
    insured_number TEXT NOT NULL,
    branch         TEXT NOT NULL,
    resident_code  TEXT NOT NULL DEFAULT '',
    household_no   TEXT NOT NULL,
    name_kana      TEXT NOT NULL,
    birth_date     DATE NOT NULL,
    sex            TEXT NOT NULL,
    judged_on      DATE NOT NULL,
    reason         TEXT NOT NULL,
    judgement      TEXT NOT NULL CHECK (judgement IN ('1', '2')),
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'corrected')),
    decision       TEXT NOT NULL DEFAULT '' CHECK (decision IN ('', '1', '2')),
    note           TEXT NOT NULL DEFAULT '',
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_at     {{time}},
    sent_job       BIGINT,
    PRIMARY KEY (job_id, line)
);
CREATE INDEX linkage_nhi_continuity_status ON linkage_nhi_continuity (tenant_code, status, sent_job);

-- A resident who moved out of the municipality or died, from the
-- resident-records differences (or entered otherwise): the record stays,
-- its status says since when it is no longer a resident.
CREATE TABLE resident_departures (
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('moved_out', 'deceased')),
    effective     DATE NOT NULL,
    source        TEXT NOT NULL,
    recorded_at   {{time}} NOT NULL,
    PRIMARY KEY (tenant_code, resident_code)
);

-- The NHI work list of moves: an insured person the resident-records
-- system says moved out or died, for NHI staff to record the loss.
CREATE TABLE linkage_nhi_moves (
    tenant_code   TEXT NOT NULL,
    job_id        BIGINT NOT NULL REFERENCES linkage_jobs (id),
    line          INTEGER NOT NULL,
    resident_code TEXT NOT NULL,
    change        TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('moved_out', 'deceased')),
    effective     DATE NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    done_by       TEXT NOT NULL DEFAULT '',
    done_at       {{time}},
    PRIMARY KEY (job_id, line)
);
CREATE INDEX linkage_nhi_moves_status ON linkage_nhi_moves (tenant_code, status);

-- Runs of the linkage jobs (daily, monthly or by hand): started, ended,
-- records, outcome, report and progress while running.
CREATE TABLE linkage_runs (
    id          {{serial}},
    tenant_code TEXT NOT NULL,
    job         TEXT NOT NULL,
    period      TEXT NOT NULL, -- the day (YYYY-MM-DD) or month (YYYY-MM) it ran for
    started_how TEXT NOT NULL CHECK (started_how IN ('schedule', 'manual')),
    started_by  TEXT NOT NULL,
    started_at  {{time}} NOT NULL,
    ended_at    {{time}},
    outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'failed')),
    records     INTEGER NOT NULL DEFAULT 0,
    done        BIGINT NOT NULL DEFAULT 0,
    total       BIGINT NOT NULL DEFAULT 0,
    file_job    BIGINT,
    report      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX linkage_runs_tenant ON linkage_runs (tenant_code, id);
CREATE INDEX linkage_runs_job ON linkage_runs (tenant_code, job, period);

-- One runner at a time across processes: a run takes its job's lease
-- (holder, expires_at); another process finds it held and does not run.
CREATE TABLE linkage_leases (
    tenant_code TEXT NOT NULL,
    job         TEXT NOT NULL,
    holder      TEXT NOT NULL,
    expires_at  {{time}} NOT NULL,
    PRIMARY KEY (tenant_code, job)
);

-- The differences' reading in full-width katakana as the register keeps it
-- (the file's is half-width), written with each record so that applying
-- the file to residents is set-based.
ALTER TABLE linkage_resident_differences ADD COLUMN name_kana_full TEXT NOT NULL DEFAULT '';

-- The initial load of a new municipality's register from its
-- resident-records system (layout resident-initial-load): every resident
-- as received, then created in residents in the same transaction.
CREATE TABLE linkage_resident_initial (
    tenant_code    TEXT NOT NULL,
    job_id         BIGINT NOT NULL REFERENCES linkage_jobs (id),
    line           INTEGER NOT NULL,
    resident_code  TEXT NOT NULL,
    household_no   TEXT NOT NULL,
    name           TEXT NOT NULL,
    name_kana      TEXT NOT NULL,
    name_kana_full TEXT NOT NULL,
    birth_date     DATE NOT NULL,
    sex            TEXT NOT NULL,
    relation       TEXT NOT NULL,
    postal         TEXT NOT NULL,
    address        TEXT NOT NULL,
    PRIMARY KEY (job_id, line)
);
CREATE INDEX linkage_resident_initial_code ON linkage_resident_initial (job_id, resident_code, line);

-- The linkage jobs a municipality runs on a schedule (daily or monthly,
-- as the job defines), with what each needs: the partner it serves and,
-- for the eligibility-continuity file, the 保険者番号 its header carries.
CREATE TABLE linkage_schedules (
    tenant_code TEXT NOT NULL,
    job         TEXT NOT NULL,
    partner     TEXT NOT NULL DEFAULT '',
    insurer     TEXT NOT NULL DEFAULT '',
    enabled     {{bool}} NOT NULL,
    created_at  {{time}} NOT NULL,
    created_by  TEXT NOT NULL,
    PRIMARY KEY (tenant_code, job)
);
