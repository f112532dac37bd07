-- Resident search, indexed after the register rather than with it
-- (resident.IndexForSearch), as SQLite already does: a bulk import pays
-- for the register's own keys only, and the names' prefixes, the dates
-- of birth and the trigram postings are written afterwards in batches,
-- which costs a fraction of keeping five more indexes and the postings
-- row by row inside the import (a million residents: see the README).
-- A search first indexes what its municipality has waiting, so it always
-- sees the register as it is; bango serve indexes every second so that a
-- search rarely waits.
SELECT set_config('bango.scope', '*', true); -- this migration reads and indexes every municipality

DROP TRIGGER residents_grams_insert ON residents;
DROP TRIGGER residents_grams_update ON residents;
DROP TRIGGER residents_grams_delete ON residents;
DROP FUNCTION residents_grams_insert();
DROP FUNCTION residents_grams_change();
DROP INDEX residents_name_kana;
DROP INDEX residents_name_kanji;
DROP INDEX residents_given_kana;
DROP INDEX residents_given_kanji;
DROP INDEX residents_birth_date;
ALTER TABLE residents DROP COLUMN given_kana;
ALTER TABLE residents DROP COLUMN given_kanji;

-- What staff search by, one row per indexed resident, compared byte by
-- byte (the C collation: prefixes are searched as ranges, see 0014). The
-- name indexes end with the code, the order results are listed in.
CREATE TABLE resident_search (
    tenant_code TEXT NOT NULL,
    code        TEXT NOT NULL,
    name_kana   TEXT COLLATE "C" NOT NULL,
    name_kanji  TEXT COLLATE "C" NOT NULL,
    given_kana  TEXT COLLATE "C" NOT NULL,
    given_kanji TEXT COLLATE "C" NOT NULL,
    birth_date  DATE NOT NULL,
    PRIMARY KEY (tenant_code, code)
);
CREATE INDEX resident_search_name_kana ON resident_search (tenant_code, name_kana, code);
CREATE INDEX resident_search_name_kanji ON resident_search (tenant_code, name_kanji, code);
CREATE INDEX resident_search_given_kana ON resident_search (tenant_code, given_kana, code);
CREATE INDEX resident_search_given_kanji ON resident_search (tenant_code, given_kanji, code);
CREATE INDEX resident_search_birth_date ON resident_search (tenant_code, birth_date);
ALTER TABLE resident_search ENABLE ROW LEVEL SECURITY;
ALTER TABLE resident_search FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON resident_search USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

-- Residents registered, changed or removed since they were last indexed,
-- a row per statement and municipality with the codes it touched: a bulk
-- import (a few INSERT … SELECT of 20,000 rows) lists its codes in a few
-- rows, which costs it next to nothing, where a row per resident with its
-- keys cost a third of the import. Changes and removals are a row each.
-- The indexer takes the oldest first (id) and re-reads each resident as
-- the register has it now, so a resident listed twice is indexed right.
CREATE TABLE resident_search_pending (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_code TEXT NOT NULL,
    codes       TEXT[] NOT NULL
);
ALTER TABLE resident_search_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE resident_search_pending FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON resident_search_pending USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

CREATE FUNCTION residents_search_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resident_search_pending (tenant_code, codes) SELECT n.tenant_code, array_agg(n.code) FROM inserted AS n GROUP BY n.tenant_code;
    RETURN NULL;
END $$;
CREATE TRIGGER residents_search_insert AFTER INSERT ON residents REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION residents_search_inserted();

CREATE FUNCTION residents_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resident_search_pending (tenant_code, codes) VALUES (OLD.tenant_code, ARRAY[OLD.code]);
    IF TG_OP = 'UPDATE' AND (NEW.tenant_code, NEW.code) IS DISTINCT FROM (OLD.tenant_code, OLD.code) THEN
        INSERT INTO resident_search_pending (tenant_code, codes) VALUES (NEW.tenant_code, ARRAY[NEW.code]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER residents_search_update AFTER UPDATE OF tenant_code, code, name_kana, name_kanji, birth_date ON residents FOR EACH ROW
    WHEN (OLD.name_kana IS DISTINCT FROM NEW.name_kana OR OLD.name_kanji IS DISTINCT FROM NEW.name_kanji
          OR OLD.birth_date IS DISTINCT FROM NEW.birth_date
          OR OLD.tenant_code IS DISTINCT FROM NEW.tenant_code OR OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION residents_search_changed();
CREATE TRIGGER residents_search_delete AFTER DELETE ON residents FOR EACH ROW EXECUTE FUNCTION residents_search_changed();

-- The residents registered so far are indexed now; their postings were
-- written by 0014's triggers and stay.
INSERT INTO resident_search (tenant_code, code, name_kana, name_kanji, given_kana, given_kanji, birth_date)
SELECT tenant_code, code, name_kana, name_kanji,
       substr(name_kana, strpos(name_kana, '　') + 1), substr(name_kanji, strpos(name_kanji, '　') + 1), birth_date
FROM residents;
