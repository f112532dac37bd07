-- Resident search (resident.Service.Find): what staff search by, each
-- answered from an index inside the municipality, never a scan of it.
--
-- Row-level security decides which indexes can serve: a role bound by the
-- policies may use an index only through leakproof operators (=, <, >=),
-- and LIKE is not one, so neither a B-tree nor a pg_trgm index can answer
-- "name LIKE …" for bango's ordinary role (a superuser would bypass the
-- policies and hide this). So prefixes are searched as ranges under the
-- C collation, and the search anywhere in a name goes through a table of
-- the names' trigrams looked up by equality, kept by triggers.
SELECT set_config('bango.scope', '*', true); -- this migration reads and indexes every municipality

-- The given name: what follows the full-width space the register puts
-- between family and given name (the whole name when there is none).
ALTER TABLE residents ADD COLUMN given_kana TEXT GENERATED ALWAYS AS (substr(name_kana, strpos(name_kana, '　') + 1)) STORED;
ALTER TABLE residents ADD COLUMN given_kanji TEXT GENERATED ALWAYS AS (substr(name_kanji, strpos(name_kanji, '　') + 1)) STORED;

-- Start of the family name (the start of the whole name) and of the given
-- name, in kana and kanji; date of birth. The code is the primary key. The
-- name indexes end with the code, the order results are listed in, so that
-- a name thousands share (a given name 樹) is read 51 entries deep, not
-- all of them sorted.
CREATE INDEX residents_name_kana ON residents (tenant_code, name_kana COLLATE "C", code);
CREATE INDEX residents_name_kanji ON residents (tenant_code, name_kanji COLLATE "C", code);
CREATE INDEX residents_given_kana ON residents (tenant_code, given_kana COLLATE "C", code);
CREATE INDEX residents_given_kanji ON residents (tenant_code, given_kanji COLLATE "C", code);
CREATE INDEX residents_birth_date ON residents (tenant_code, birth_date);

-- Every three-character run of each resident's names, kana and kanji,
-- across the space between family and given name too, a posting per run:
-- a search for three characters or more reads the postings of its first
-- and last trigram, in code order, and re-checks the names they lead to.
-- Postings are not deduplicated (that costs more than it saves); the
-- search reads them DISTINCT. A kanji name written as its kana is indexed
-- once.
CREATE TABLE resident_grams (
    tenant_code TEXT NOT NULL,
    gram        TEXT COLLATE "C" NOT NULL,
    code        TEXT NOT NULL
);
CREATE INDEX resident_grams_gram ON resident_grams (tenant_code, gram, code);
ALTER TABLE resident_grams ENABLE ROW LEVEL SECURITY;
ALTER TABLE resident_grams FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON resident_grams USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

-- One SELECT, so that PostgreSQL inlines it into the statement that calls
-- it (a call per row would cost more than the index).
CREATE FUNCTION bango_name_grams(kana TEXT, kanji TEXT) RETURNS SETOF TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT substr(n, i, 3)
    FROM unnest(CASE WHEN kanji = kana THEN ARRAY[kana] ELSE ARRAY[kana, kanji] END) AS n,
         generate_series(1, char_length(n) - 2) AS i
$$;

-- Inserts are indexed once per statement (a bulk import is one INSERT …
-- SELECT), changes of a name and deletions row by row.
CREATE FUNCTION residents_grams_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resident_grams (tenant_code, gram, code)
    SELECT n.tenant_code, g, n.code FROM inserted AS n, bango_name_grams(n.name_kana, n.name_kanji) AS g;
    RETURN NULL;
END $$;
CREATE TRIGGER residents_grams_insert AFTER INSERT ON residents REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION residents_grams_insert();

CREATE FUNCTION residents_grams_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM resident_grams WHERE tenant_code = OLD.tenant_code AND code = OLD.code
        AND gram IN (SELECT bango_name_grams(OLD.name_kana, OLD.name_kanji));
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO resident_grams (tenant_code, gram, code)
        SELECT NEW.tenant_code, g, NEW.code FROM bango_name_grams(NEW.name_kana, NEW.name_kanji) AS g;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER residents_grams_update AFTER UPDATE OF tenant_code, code, name_kana, name_kanji ON residents FOR EACH ROW
    WHEN (OLD.name_kana IS DISTINCT FROM NEW.name_kana OR OLD.name_kanji IS DISTINCT FROM NEW.name_kanji
          OR OLD.tenant_code IS DISTINCT FROM NEW.tenant_code OR OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION residents_grams_change();
CREATE TRIGGER residents_grams_delete AFTER DELETE ON residents FOR EACH ROW EXECUTE FUNCTION residents_grams_change();

INSERT INTO resident_grams (tenant_code, gram, code)
SELECT r.tenant_code, g, r.code FROM residents AS r, bango_name_grams(r.name_kana, r.name_kanji) AS g;
