-- Row-level security is PostgreSQL's (see 0020_nhi_row_security.postgres.sql);
-- on SQLite the tenant predicate of every query is the wall.
SELECT 1;
