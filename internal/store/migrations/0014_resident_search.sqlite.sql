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

CREATE TRIGGER residents_search_insert AFTER INSERT ON residents BEGIN
    INSERT INTO resident_search_ids (tenant_code, code) VALUES (new.tenant_code, new.code);
    INSERT INTO resident_names (rowid, name_kana, name_kanji)
        VALUES ((SELECT id FROM resident_search_ids WHERE tenant_code = new.tenant_code AND code = new.code), new.name_kana, new.name_kanji);
END;
CREATE TRIGGER residents_search_update AFTER UPDATE OF tenant_code, code, name_kana, name_kanji ON residents BEGIN
    DELETE FROM resident_names WHERE rowid = (SELECT id FROM resident_search_ids WHERE tenant_code = old.tenant_code AND code = old.code);
    UPDATE resident_search_ids SET tenant_code = new.tenant_code, code = new.code WHERE tenant_code = old.tenant_code AND code = old.code;
    INSERT INTO resident_names (rowid, name_kana, name_kanji)
        VALUES ((SELECT id FROM resident_search_ids WHERE tenant_code = new.tenant_code AND code = new.code), new.name_kana, new.name_kanji);
END;
CREATE TRIGGER residents_search_delete AFTER DELETE ON residents BEGIN
    DELETE FROM resident_names WHERE rowid = (SELECT id FROM resident_search_ids WHERE tenant_code = old.tenant_code AND code = old.code);
    DELETE FROM resident_search_ids WHERE tenant_code = old.tenant_code AND code = old.code;
END;

INSERT INTO resident_search_ids (tenant_code, code) SELECT tenant_code, code FROM residents ORDER BY tenant_code, code;
INSERT INTO resident_names (rowid, name_kana, name_kanji)
    SELECT i.id, r.name_kana, r.name_kanji FROM residents AS r JOIN resident_search_ids AS i ON i.tenant_code = r.tenant_code AND i.code = r.code;
