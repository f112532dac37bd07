-- issue 21: the My Number setup's work table costs less a row to write
-- (bench setup). The foreign key to the setup goes — a trigger that
-- locked the setup's row for every candidate inserted: candidates are
-- written only by the import, in the transaction that creates their setup
-- and with its id, and a setup is never deleted (as residents carry no
-- foreign key to tenants, docs/design-notes.md). The index by status
-- becomes an index of the work list's open rows alone, which the work
-- list reads; the other statuses are read through the key. Row-level
-- security is unchanged (0032).
ALTER TABLE numbersetup_candidates DROP CONSTRAINT numbersetup_candidates_setup_id_fkey;
DROP INDEX numbersetup_candidates_status;
CREATE INDEX numbersetup_candidates_open ON numbersetup_candidates (tenant_code, setup_id, line) WHERE status = 'open';
-- The rows staff resolved, each filed as a change of its own, by that
-- change: a rejected change puts its rows back on the work list.
CREATE INDEX numbersetup_candidates_changes ON numbersetup_candidates (tenant_code, setup_id, change_id) WHERE change_id IS NOT NULL;
