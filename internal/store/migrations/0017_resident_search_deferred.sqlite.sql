-- On SQLite the names' trigram index is already written after the
-- register (see 0014_resident_search.sqlite.sql); the PostgreSQL schema
-- follows it here (0017_resident_search_deferred.postgres.sql).
SELECT 1;
