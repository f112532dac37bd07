-- Importing residents on PostgreSQL (see the .postgres.sql file); SQLite
-- finds new residents by rowid (0014).
SELECT 1;
