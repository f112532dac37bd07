-- Resident search by the start of a name on SQLite (see the .sqlite.sql
-- file); PostgreSQL keeps the starts as postings (0035).
SELECT 1;
