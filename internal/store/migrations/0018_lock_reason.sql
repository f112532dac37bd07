-- Why a session is locked, for the lock screen and the audit event: the
-- person's own button ("user") or inactivity ("idle"); '' when unlocked.
ALTER TABLE staff_sessions ADD COLUMN lock_reason TEXT NOT NULL DEFAULT '';
