-- PostgreSQL only (see the .postgres.sql file): SQLite searches the
-- register's own indexes and has no resident_search table.
SELECT 1;
