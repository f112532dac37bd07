-- Row-level security is PostgreSQL's (see 0016_row_security_audit.postgres.sql);
-- on SQLite the tenant predicate of every query is the wall.
SELECT 1;
