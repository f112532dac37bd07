-- 0056: a 登録者証 is issued and ended through the maker–checker engine
-- (R-ACC-1): issued_by is the clerk who entered it, checked_by the
-- different staff member who confirmed it; ended_by and end_checked_by
-- the same for its end. Certificates issued before this migration were
-- issued by one person alone: their checked_by stays ''.
ALTER TABLE pubmed_registrations ADD COLUMN checked_by TEXT NOT NULL DEFAULT '';
ALTER TABLE pubmed_registrations ADD COLUMN ended_by TEXT NOT NULL DEFAULT '';
ALTER TABLE pubmed_registrations ADD COLUMN end_checked_by TEXT NOT NULL DEFAULT '';
