-- NHI premium (issue 19, R-NHI-4): a pension insurer's notice (年金特徴の
-- 対象者通知) entered wrongly is withdrawn (取消) by staff holding
-- nhi.write, with the reason: never deleted or rewritten, it is marked
-- withdrawn with when, by whom and why, and no longer takes part in an
-- assessment (the person's notice before it, if any, is in force again;
-- a wrong amount is corrected by recording a new notice, as before).
-- Row-level security is PostgreSQL's (the .postgres.sql file of 0040 covers
-- the table); on SQLite the tenant predicate is the wall.
ALTER TABLE nhi_pension_notices ADD COLUMN withdrawn_at {{time}};
ALTER TABLE nhi_pension_notices ADD COLUMN withdrawn_by TEXT;
ALTER TABLE nhi_pension_notices ADD COLUMN withdrawn_why TEXT;
