-- issue 21: the My Number setup keeps its exact matches packed (bench
-- setup; internal/numbersetup/blocks.go). An exact match — one person of
-- the business with all four items equal, the number held by nobody and
-- given by no earlier line of the file — waits for the checker's one
-- confirmation of them all, and is written as an entry of a block of up
-- to about a thousand instead of as a row of numbersetup_candidates (a
-- table under row-level security takes no COPY: each row cost an
-- INSERT … SELECT). A block holds its entries' items (line, the file's
-- resident code, name, kana, birth date, sex, address, the person
-- matched) and their numbers sealed as one value; the rows that need
-- staff stay in numbersetup_candidates. An entry that must go on the work
-- list (its confirmation rejected and staff resolve or discard it, or its
-- registration failed) moves out of its block into a candidate row.
-- Closing the setup deletes the blocks, their sealed numbers with them.
CREATE TABLE numbersetup_blocks (
    tenant_code          TEXT NOT NULL,
    setup_id             BIGINT NOT NULL,
    block                INTEGER NOT NULL,
    first_line           INTEGER NOT NULL,
    last_line            INTEGER NOT NULL,
    entries              INTEGER NOT NULL,
    items                BYTEA NOT NULL,
    mynumber_sealed      BYTEA,
    mynumber_key_version INTEGER,
    status               TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'applied')),
    note                 TEXT NOT NULL DEFAULT '',
    decided_by           TEXT NOT NULL DEFAULT '',
    seal_ref             TEXT GENERATED ALWAYS AS (setup_id::text || ':' || block::text) STORED,
    PRIMARY KEY (tenant_code, setup_id, block),
    CHECK ((mynumber_sealed IS NULL) = (mynumber_key_version IS NULL))
);
CREATE INDEX numbersetup_blocks_lines ON numbersetup_blocks (tenant_code, setup_id, last_line);
-- A block's items (about 110 KB) and sealed numbers are stored out of
-- line without compression: pglz compressing the items took 2 s of the
-- server's at 1,000,000 rows (bench setup), the sealed numbers do not
-- compress.
ALTER TABLE numbersetup_blocks ALTER COLUMN items SET STORAGE EXTERNAL, ALTER COLUMN mynumber_sealed SET STORAGE EXTERNAL;

ALTER TABLE numbersetup_blocks ENABLE ROW LEVEL SECURITY;
ALTER TABLE numbersetup_blocks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON numbersetup_blocks USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
