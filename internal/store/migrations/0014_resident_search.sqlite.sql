-- Resident search (resident.Service.Find): what staff search by, each
-- answered from an index inside the municipality, never a scan of it.
-- The same searches as on PostgreSQL (see the .postgres.sql file); the
-- search anywhere in a name is an FTS5 trigram index here.

-- The given name: what follows the full-width space the register puts
-- between family and given name (the whole name when there is none).
ALTER TABLE residents ADD COLUMN given_kana TEXT GENERATED ALWAYS AS (substr(name_kana, instr(name_kana, '　') + 1)) VIRTUAL;
ALTER TABLE residents ADD COLUMN given_kanji TEXT GENERATED ALWAYS AS (substr(name_kanji, instr(name_kanji, '　') + 1)) VIRTUAL;

-- Start of the family name (the start of the whole name) and of the given
-- name, in kana and kanji, compared byte by byte; date of birth. The code
-- is the primary key. The name indexes end with the code, the order
-- results are listed in, so that a name thousands share is read 51
-- entries deep, not all of them sorted.
CREATE INDEX residents_name_kana ON residents (tenant_code, name_kana, code);
CREATE INDEX residents_name_kanji ON residents (tenant_code, name_kanji, code);
CREATE INDEX residents_given_kana ON residents (tenant_code, given_kana, code);
CREATE INDEX residents_given_kanji ON residents (tenant_code, given_kanji, code);
CREATE INDEX residents_birth_date ON residents (tenant_code, birth_date);

-- The trigram index of the names. residents has no INTEGER PRIMARY KEY,
-- so its rowids may change (VACUUM, a dump and restore) and cannot key the
-- index: resident_search_ids gives each resident a stable number, and the
-- FTS5 table holds only the index (no copy of the names), keyed by it.
CREATE TABLE resident_search_ids (
    id          INTEGER PRIMARY KEY,
    tenant_code TEXT NOT NULL,
    code        TEXT NOT NULL,
    UNIQUE (tenant_code, code)
);
CREATE VIRTUAL TABLE resident_names USING fts5(name_kana, name_kanji, content = '', contentless_delete = 1,
    tokenize = 'trigram case_sensitive 1');

-- How far the index has read the register. A resident takes the rowid
-- after the highest (one writer at a time, and residents are not deleted
-- but for the trigger below), so the residents above last_rowid are the
-- ones not yet indexed: an import pays for no index here, and
-- resident.IndexForSearch indexes them in batches, one statement each (a
-- trigger would index each row in its own statement, flushing FTS5 and
-- journalling every index page each time: a million-row import took
-- minutes). tenant_code and code name the resident at last_rowid, so that
-- rowids renumbered by VACUUM are noticed (the index is then rebuilt).
CREATE TABLE resident_search_cursor (
    one         INTEGER PRIMARY KEY CHECK (one = 1),
    last_rowid  INTEGER NOT NULL,
    tenant_code TEXT NOT NULL,
    code        TEXT NOT NULL
);
INSERT INTO resident_search_cursor (one, last_rowid, tenant_code, code) VALUES (1, 0, '', '');

-- Changed and removed residents (single-row statements: a trigger costs
-- them nothing that matters) wait here for the same indexing.
CREATE TABLE resident_search_pending (
    tenant_code TEXT NOT NULL,
    code        TEXT NOT NULL
);
CREATE TRIGGER residents_search_update AFTER UPDATE OF tenant_code, code, name_kana, name_kanji ON residents
    WHEN old.name_kana IS NOT new.name_kana OR old.name_kanji IS NOT new.name_kanji OR old.tenant_code IS NOT new.tenant_code OR old.code IS NOT new.code
BEGIN
    INSERT INTO resident_search_pending (tenant_code, code) VALUES (old.tenant_code, old.code);
    INSERT INTO resident_search_pending (tenant_code, code) VALUES (new.tenant_code, new.code);
END;
-- Removing the highest rowid would let the next resident take it again,
-- at or below the cursor: the cursor steps down to the highest remaining.
CREATE TRIGGER residents_search_delete AFTER DELETE ON residents BEGIN
    INSERT INTO resident_search_pending (tenant_code, code) VALUES (old.tenant_code, old.code);
    UPDATE resident_search_cursor SET
        last_rowid = coalesce((SELECT max(rowid) FROM residents), 0),
        tenant_code = coalesce((SELECT tenant_code FROM residents ORDER BY rowid DESC LIMIT 1), ''),
        code = coalesce((SELECT code FROM residents ORDER BY rowid DESC LIMIT 1), '')
    WHERE last_rowid > coalesce((SELECT max(rowid) FROM residents), 0);
END;
