-- Resident search by the start of a name, one or two characters (issue
-- 14 I): オオ, 前田, 樹. The start of the family and the given name, in
-- kana and in kanji, were ranges of resident_search's name indexes, each
-- sorted by code for its page: a common start at 1,000,000 residents is
-- tens of thousands of entries read and sorted for every page. Each
-- start is now a posting of its own, kept in code order like the
-- trigram postings: 'k' and the first one and two characters of the
-- family and given name in kana, 'n' the same of the name as written.
-- Written after the register by resident.IndexForSearch, as the
-- trigrams are.
SELECT set_config('bango.scope', '*', true); -- this migration indexes every municipality

CREATE FUNCTION bango_name_prefixes(kana TEXT, kanji TEXT) RETURNS SETOF TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT k || left(n, l)
    FROM (VALUES ('k', kana), ('k', substr(kana, strpos(kana, '　') + 1)),
                 ('n', kanji), ('n', substr(kanji, strpos(kanji, '　') + 1))) AS v (k, n),
         (VALUES (1), (2)) AS w (l)
    WHERE n <> ''
$$;

CREATE TABLE resident_prefixes (
    tenant_code TEXT NOT NULL,
    prefix      TEXT COLLATE "C" NOT NULL,
    code        TEXT NOT NULL,
    PRIMARY KEY (tenant_code, prefix, code)
);
ALTER TABLE resident_prefixes ENABLE ROW LEVEL SECURITY;
ALTER TABLE resident_prefixes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON resident_prefixes USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

INSERT INTO resident_prefixes (tenant_code, prefix, code)
SELECT s.tenant_code, p, s.code FROM resident_search AS s, bango_name_prefixes(s.name_kana, s.name_kanji) AS p;
