-- Resident search in the order of codes (issue 14 I): the SQLite index is
-- renumbered (see the .sqlite.sql file); PostgreSQL's postings are already
-- kept by code.
SELECT 1;
