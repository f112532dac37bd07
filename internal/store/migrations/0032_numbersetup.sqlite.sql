-- issue 21: My Number setup from a registry file (R-PUB-2, R-WAU-2;
-- internal/numbersetup). A setup is one registry extract (住基ネット
-- 本人確認情報) imported for one business (public-expense care, NHI); each
-- of its rows is a candidate (マイナンバー設定候補者) matched against the
-- business's people without a My Number by the basic four items (R-ACC-3).
-- The number is sealed by the vault with a blind index, never plaintext.
-- Nothing reaches residents without a checker's confirmation; when staff
-- close the setup its candidates are deleted and the sealed numbers with
-- them.
CREATE TABLE numbersetup_setups (
    id            INTEGER PRIMARY KEY,
    tenant_code   TEXT NOT NULL,
    business      TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    rows_read     INTEGER NOT NULL,
    exact         INTEGER NOT NULL DEFAULT 0,
    no_match      INTEGER NOT NULL DEFAULT 0,
    multiple      INTEGER NOT NULL DEFAULT 0,
    one_diff      INTEGER NOT NULL DEFAULT 0,
    held          INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    imported_by   TEXT NOT NULL CHECK (imported_by <> ''),
    imported_at   TIMESTAMP NOT NULL,
    closed_by     TEXT NOT NULL DEFAULT '',
    closed_at     TIMESTAMP,
    destroyed     INTEGER NOT NULL DEFAULT 0,
    change_id     BIGINT  -- the change that holds the exact matches for confirmation
);
CREATE INDEX numbersetup_setups_tenant ON numbersetup_setups (tenant_code, id);

CREATE TABLE numbersetup_candidates (
    tenant_code          TEXT NOT NULL,
    setup_id             BIGINT NOT NULL REFERENCES numbersetup_setups (id),
    line                 INTEGER NOT NULL,
    file_code            TEXT NOT NULL,  -- the registry's resident code (住民票コード等) as the file gave it
    name                 TEXT NOT NULL,
    name_kana            TEXT NOT NULL,
    birth_date           DATE NOT NULL,
    sex                  TEXT NOT NULL,
    address              TEXT NOT NULL,
    mynumber_sealed      BLOB,
    mynumber_bidx        BLOB,
    mynumber_key_version INTEGER,
    outcome              TEXT NOT NULL CHECK (outcome IN ('exact', 'no_match', 'multiple', 'one_diff', 'held')),
    diff_item            TEXT NOT NULL DEFAULT '',  -- one_diff: name, birth_date, sex or address
    person_code          TEXT NOT NULL DEFAULT '',  -- the matched or chosen resident
    status               TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'applied', 'discarded', 'failed')),
    change_id            BIGINT,
    note                 TEXT NOT NULL DEFAULT '',
    decided_by           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_code, setup_id, line),
    CHECK ((mynumber_sealed IS NULL) = (mynumber_bidx IS NULL))
);
CREATE INDEX numbersetup_candidates_status ON numbersetup_candidates (tenant_code, setup_id, status, line);
-- Row-level security is PostgreSQL's (see 0032_numbersetup.postgres.sql);
-- on SQLite the tenant predicate of every query is the wall.
