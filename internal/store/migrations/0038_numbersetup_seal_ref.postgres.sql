-- The My Number setup's sealed numbers (0032) are bound to "setup:line";
-- key rotation re-seals a column row by row through one column naming the
-- row (vault.SealedColumns), so the binding is that column here.
ALTER TABLE numbersetup_candidates ADD COLUMN seal_ref TEXT GENERATED ALWAYS AS (setup_id::text || ':' || line::text) STORED;
