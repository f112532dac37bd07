-- issue 20: a resident who comes back (a new record for someone who moved
-- out, applied as a return) and was insured by the NHI when they left is
-- put on the NHI section's work list of moves like one who moved out, as
-- kind 'returned', so that staff record the acquisition again.
ALTER TABLE linkage_nhi_moves DROP CONSTRAINT linkage_nhi_moves_kind_check;
ALTER TABLE linkage_nhi_moves ADD CONSTRAINT linkage_nhi_moves_kind_check CHECK (kind IN ('moved_out', 'deceased', 'returned'));
