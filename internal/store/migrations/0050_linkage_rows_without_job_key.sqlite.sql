-- issue 20: the rows of a resident-records file (linkage_resident_differences,
-- linkage_resident_initial) are written by the import alone, in the
-- transaction that creates their job and with its id, and a job is never
-- deleted. The foreign key to linkage_jobs checked that again for every
-- row (on PostgreSQL about a quarter of writing the records, bango bench
-- linkage). It goes, as the setup's candidates lost theirs (0047) and
-- residents carry none to tenants (docs/design-notes.md). SQLite changes a
-- table's constraints only by building it again.
CREATE TABLE linkage_resident_differences_new (
    tenant_code    TEXT NOT NULL,
    job_id         BIGINT NOT NULL,
    line           INTEGER NOT NULL,
    change         TEXT NOT NULL,
    resident_code  TEXT NOT NULL,
    household_no   TEXT NOT NULL,
    name           TEXT NOT NULL,
    name_kana      TEXT NOT NULL,
    birth_date     DATE NOT NULL,
    sex            TEXT NOT NULL,
    relation       TEXT NOT NULL,
    postal         TEXT NOT NULL,
    address        TEXT NOT NULL,
    effective      DATE NOT NULL,
    name_kana_full TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, line)
);
INSERT INTO linkage_resident_differences_new (tenant_code, job_id, line, change, resident_code, household_no, name, name_kana, birth_date, sex,
    relation, postal, address, effective, name_kana_full)
SELECT tenant_code, job_id, line, change, resident_code, household_no, name, name_kana, birth_date, sex,
    relation, postal, address, effective, name_kana_full
FROM linkage_resident_differences;
DROP TABLE linkage_resident_differences;
ALTER TABLE linkage_resident_differences_new RENAME TO linkage_resident_differences;
CREATE INDEX linkage_resident_differences_resident ON linkage_resident_differences (tenant_code, resident_code, change);

CREATE TABLE linkage_resident_initial_new (
    tenant_code    TEXT NOT NULL,
    job_id         BIGINT NOT NULL,
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
INSERT INTO linkage_resident_initial_new (tenant_code, job_id, line, resident_code, household_no, name, name_kana, name_kana_full, birth_date, sex,
    relation, postal, address)
SELECT tenant_code, job_id, line, resident_code, household_no, name, name_kana, name_kana_full, birth_date, sex, relation, postal, address
FROM linkage_resident_initial;
DROP TABLE linkage_resident_initial;
ALTER TABLE linkage_resident_initial_new RENAME TO linkage_resident_initial;
CREATE INDEX linkage_resident_initial_code ON linkage_resident_initial (job_id, resident_code, line);
