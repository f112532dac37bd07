-- issue 21: the My Number setup keeps its exact matches packed in blocks
-- (see the .postgres.sql file).
CREATE TABLE numbersetup_blocks (
    tenant_code          TEXT NOT NULL,
    setup_id             BIGINT NOT NULL,
    block                INTEGER NOT NULL,
    first_line           INTEGER NOT NULL,
    last_line            INTEGER NOT NULL,
    entries              INTEGER NOT NULL,
    items                BLOB NOT NULL,
    mynumber_sealed      BLOB,
    mynumber_key_version INTEGER,
    status               TEXT NOT NULL CHECK (status = 'open' OR status = 'submitted' OR status = 'applied'),
    note                 TEXT NOT NULL DEFAULT '',
    decided_by           TEXT NOT NULL DEFAULT '',
    seal_ref             TEXT GENERATED ALWAYS AS (setup_id || ':' || block) VIRTUAL,
    PRIMARY KEY (tenant_code, setup_id, block),
    CHECK ((mynumber_sealed IS NULL) = (mynumber_key_version IS NULL))
);
CREATE INDEX numbersetup_blocks_lines ON numbersetup_blocks (tenant_code, setup_id, last_line);
