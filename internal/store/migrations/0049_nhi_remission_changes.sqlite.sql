-- NHI premium (issue 19, R-NHI-4): a decided 減免 withdrawn (取消) or
-- corrected (訂正) through the maker–checker engine (review kind
-- nhi.remission.change). The decision is never deleted or rewritten: it
-- is marked ended, by whom (the maker who entered the change, the checker
-- who confirmed it), when and why, and the re-assessment it gave; a
-- correction is a new decision (corrects = the one it replaces, whose
-- replaced_by names it). Only decisions not ended take part in an
-- assessment. Row-level security is PostgreSQL's (the .postgres.sql file
-- of 0040 covers the table); on SQLite the tenant predicate is the wall.
ALTER TABLE nhi_remissions ADD COLUMN ended_kind TEXT CHECK (ended_kind IS NULL OR ended_kind IN ('withdrawn', 'corrected'));
ALTER TABLE nhi_remissions ADD COLUMN ended_at {{time}};
ALTER TABLE nhi_remissions ADD COLUMN ended_entered_by TEXT;
ALTER TABLE nhi_remissions ADD COLUMN ended_by TEXT;
ALTER TABLE nhi_remissions ADD COLUMN ended_why TEXT;
ALTER TABLE nhi_remissions ADD COLUMN end_assessment_id BIGINT REFERENCES nhi_assessments (id);
ALTER TABLE nhi_remissions ADD COLUMN replaced_by BIGINT REFERENCES nhi_remissions (id);
ALTER TABLE nhi_remissions ADD COLUMN corrects BIGINT REFERENCES nhi_remissions (id);
-- A correction takes the place of the decision it corrects among the
-- household's remissions, which apply in the order decided: place is the
-- id of the first decision of the chain (NULL: the row's own id).
ALTER TABLE nhi_remissions ADD COLUMN place BIGINT;
