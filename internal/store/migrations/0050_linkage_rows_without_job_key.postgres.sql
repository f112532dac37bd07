-- issue 20: the rows of a resident-records file (linkage_resident_differences,
-- linkage_resident_initial) are written by the import alone, in the
-- transaction that creates their job and with its id, and a job is never
-- deleted. The foreign key to linkage_jobs checked that again for every
-- row: on PostgreSQL a trigger call and a lookup each, about a quarter of
-- writing the records (bango bench linkage, 100,000 records: 1.46 s with
-- it, 1.03 s without). It goes, as the setup's candidates lost theirs
-- (0047) and residents carry none to tenants (docs/design-notes.md).
ALTER TABLE linkage_resident_differences DROP CONSTRAINT linkage_resident_differences_job_id_fkey;
ALTER TABLE linkage_resident_initial DROP CONSTRAINT linkage_resident_initial_job_id_fkey;
