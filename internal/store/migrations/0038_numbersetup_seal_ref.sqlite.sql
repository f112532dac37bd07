-- The My Number setup's sealed numbers move forward on key rotation (see
-- the .postgres.sql file).
ALTER TABLE numbersetup_candidates ADD COLUMN seal_ref TEXT GENERATED ALWAYS AS (setup_id || ':' || line) VIRTUAL;
