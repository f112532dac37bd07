-- Resident search by the start of a name on PostgreSQL (see the
-- .postgres.sql file). SQLite reads the starts from the register's own
-- name indexes (0014).
SELECT 1;
