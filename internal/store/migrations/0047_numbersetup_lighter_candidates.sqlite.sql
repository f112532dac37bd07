-- issue 21: the My Number setup's work table costs less a row to write
-- (bench setup). SQLite checked `outcome IN (…)` and `status IN (…)` by
-- building a temporary table of the list for every row inserted, which
-- made the work table three times as dear to write as a plain table; the
-- same checks are now written with OR. The foreign key to the setup goes:
-- candidates are written only by the import, in the transaction that
-- creates their setup and with its id, and a setup is never deleted (as
-- residents carry no foreign key to tenants, docs/design-notes.md). The
-- index by status becomes an index of the work list's open rows alone,
-- which the work list reads; the other statuses are read through the key.
-- SQLite changes a table's constraints only by building it again.
CREATE TABLE numbersetup_candidates_new (
    tenant_code          TEXT NOT NULL,
    setup_id             BIGINT NOT NULL,
    line                 INTEGER NOT NULL,
    file_code            TEXT NOT NULL,
    name                 TEXT NOT NULL,
    name_kana            TEXT NOT NULL,
    birth_date           DATE NOT NULL,
    sex                  TEXT NOT NULL,
    address              TEXT NOT NULL,
    mynumber_sealed      BLOB,
    mynumber_bidx        BLOB,
    mynumber_key_version INTEGER,
    outcome              TEXT NOT NULL CHECK (outcome = 'exact' OR outcome = 'no_match' OR outcome = 'multiple' OR outcome = 'one_diff' OR outcome = 'held'),
    diff_item            TEXT NOT NULL DEFAULT '',
    person_code          TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL CHECK (status = 'open' OR status = 'submitted' OR status = 'applied' OR status = 'discarded' OR status = 'failed'),
    change_id            BIGINT,
    note                 TEXT NOT NULL DEFAULT '',
    decided_by           TEXT NOT NULL DEFAULT '',
    seal_ref             TEXT GENERATED ALWAYS AS (setup_id || ':' || line) VIRTUAL,
    PRIMARY KEY (tenant_code, setup_id, line),
    CHECK ((mynumber_sealed IS NULL) = (mynumber_bidx IS NULL))
);
INSERT INTO numbersetup_candidates_new (tenant_code, setup_id, line, file_code, name, name_kana, birth_date, sex, address,
    mynumber_sealed, mynumber_bidx, mynumber_key_version, outcome, diff_item, person_code, status, change_id, note, decided_by)
SELECT tenant_code, setup_id, line, file_code, name, name_kana, birth_date, sex, address,
    mynumber_sealed, mynumber_bidx, mynumber_key_version, outcome, diff_item, person_code, status, change_id, note, decided_by
FROM numbersetup_candidates;
DROP TABLE numbersetup_candidates;
ALTER TABLE numbersetup_candidates_new RENAME TO numbersetup_candidates;
CREATE INDEX numbersetup_candidates_open ON numbersetup_candidates (tenant_code, setup_id, line) WHERE status = 'open';
-- The rows staff resolved, each filed as a change of its own, by that
-- change: a rejected change puts its rows back on the work list.
CREATE INDEX numbersetup_candidates_changes ON numbersetup_candidates (tenant_code, setup_id, change_id) WHERE change_id IS NOT NULL;
