-- 0058: the retention rule behind each My Number hold's last needed day
-- (R-STO-2). The period is data per business with an effective date and,
-- optionally, per municipality (internal/mnhold/data/retention-*.json); a
-- business that sets a hold's needed_until by a rule records the rule's
-- version and period on the hold, and the monthly run carries them into
-- its events, its deletions and its run record. Holds set before this
-- migration, or by a business that computes its own last day, have ''.
ALTER TABLE mynumber_holds ADD COLUMN retention_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE mynumber_holds ADD COLUMN retention_years INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mynumber_deletions ADD COLUMN retention_rules TEXT NOT NULL DEFAULT '';
ALTER TABLE mynumber_hold_runs ADD COLUMN rules TEXT NOT NULL DEFAULT '';
