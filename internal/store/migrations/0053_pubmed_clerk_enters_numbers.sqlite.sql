-- issue 21: entering a My Number on a public-expense application needs
-- mynumber.enter (65429c2), which the default pattern pubmed-clerk holds
-- since then; a system whose patterns were seeded before lacks it there,
-- so its clerks were refused until an administrator added the right. The
-- built-in pattern gets the right here, unless administrators have edited
-- it since it was seeded (updated_at moved): an edited default is left as
-- they made it, as the start-up seeding does (access.SeedDefaults).
INSERT INTO access_pattern_permissions (pattern_id, permission)
SELECT p.id, 'mynumber.enter' FROM access_patterns p
WHERE p.code = 'pubmed-clerk' AND p.builtin AND p.updated_at = p.created_at
    AND NOT EXISTS (SELECT 1 FROM access_pattern_permissions x WHERE x.pattern_id = p.id AND x.permission = 'mynumber.enter');
