-- 訂正・取消 of NHI eligibility entries (R-NHI-1, R-ACC-1; internal/nhi):
-- a recorded acquisition or loss found wrong is voided, never deleted or
-- overwritten. The event and the membership and household-version rows
-- its entry wrote keep every column and get when and by whom they were
-- voided, the confirmed maker–checker change that did it (review_changes
-- id; kind nhi.void or nhi.correct) and the reason. Every read of the
-- record skips a voided row; a read as known at a date skips it only
-- from the day it was voided.
ALTER TABLE nhi_eligibility_events ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE nhi_eligibility_events ADD COLUMN voided_by TEXT;
ALTER TABLE nhi_eligibility_events ADD COLUMN void_change BIGINT;
ALTER TABLE nhi_eligibility_events ADD COLUMN void_reason TEXT;
ALTER TABLE nhi_memberships ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE nhi_memberships ADD COLUMN voided_by TEXT;
ALTER TABLE nhi_memberships ADD COLUMN void_change BIGINT;
ALTER TABLE nhi_memberships ADD COLUMN void_reason TEXT;
ALTER TABLE nhi_household_versions ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE nhi_household_versions ADD COLUMN voided_by TEXT;
ALTER TABLE nhi_household_versions ADD COLUMN void_change BIGINT;
ALTER TABLE nhi_household_versions ADD COLUMN void_reason TEXT;

-- The search's test of who is insured on a date reads the latest event of
-- each candidate from this index alone (0028): it now carries voided_at,
-- which that test reads too. It stays the index of a person's events for
-- every other read, voided rows included.
DROP INDEX nhi_eligibility_events_in_force;
CREATE INDEX nhi_eligibility_events_in_force ON nhi_eligibility_events (tenant_code, resident_code, effective_date, id, kind, voided_at);
