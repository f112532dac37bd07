-- Resident search by part of an address (issue 17): 西新宿, 新宿二丁目, 北3条.
-- Addresses are held in the register as plain text, as names are (only
-- the My Number is sealed), so the address is indexed as the names are
-- (0014, 0017): its trigrams in a table of postings looked up by equality
-- (a role under row-level security cannot use LIKE through an index),
-- written after the register by resident.IndexForSearch, and the address
-- as indexed kept in resident_search so that a change removes exactly the
-- postings written for it.
SELECT set_config('bango.scope', '*', true); -- this migration reads and indexes every municipality

ALTER TABLE resident_search ADD COLUMN address TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE resident_search AS s SET address = r.address FROM residents AS r WHERE r.tenant_code = s.tenant_code AND r.code = s.code;

CREATE TABLE resident_address_grams (
    tenant_code TEXT NOT NULL,
    gram        TEXT COLLATE "C" NOT NULL,
    code        TEXT NOT NULL
);
CREATE INDEX resident_address_grams_gram ON resident_address_grams (tenant_code, gram, code);
ALTER TABLE resident_address_grams ENABLE ROW LEVEL SECURITY;
ALTER TABLE resident_address_grams FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON resident_address_grams USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

-- Every three-character run of a text (one SELECT, inlined by the planner).
CREATE FUNCTION bango_grams(t TEXT) RETURNS SETOF TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT substr(t, i, 3) FROM generate_series(1, char_length(t) - 2) AS i
$$;

INSERT INTO resident_address_grams (tenant_code, gram, code)
SELECT s.tenant_code, g, s.code FROM resident_search AS s, bango_grams(s.address) AS g;

-- A changed address waits for the index like a changed name.
DROP TRIGGER residents_search_update ON residents;
CREATE TRIGGER residents_search_update AFTER UPDATE OF tenant_code, code, name_kana, name_kanji, birth_date, address ON residents FOR EACH ROW
    WHEN (OLD.name_kana IS DISTINCT FROM NEW.name_kana OR OLD.name_kanji IS DISTINCT FROM NEW.name_kanji
          OR OLD.birth_date IS DISTINCT FROM NEW.birth_date OR OLD.address IS DISTINCT FROM NEW.address
          OR OLD.tenant_code IS DISTINCT FROM NEW.tenant_code OR OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION residents_search_changed();
