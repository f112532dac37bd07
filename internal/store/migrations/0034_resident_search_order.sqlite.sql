-- Resident search in the order of codes (issue 14 I). The trigram indexes
-- list their matches by number, and resident_search_ids numbered residents
-- as they were indexed, so a page in code order had to read and sort every
-- match (a common family name at 1,000,000 residents: 13,000 of them, 86
-- ms). Residents are now numbered in the order of their codes inside
-- their municipality's slot (resident.codeOrder): a page is the first
-- matches read, and a count stops at the cap. The index is emptied here
-- and rebuilt by resident.IndexForSearch from the start of the register.
CREATE TABLE resident_search_tenants (
    tenant_code TEXT PRIMARY KEY,
    slot        INTEGER NOT NULL UNIQUE CHECK (slot BETWEEN 1 AND 2000)
);
INSERT INTO resident_names (resident_names) VALUES ('delete-all');
INSERT INTO resident_addresses (resident_addresses) VALUES ('delete-all');
DELETE FROM resident_search_ids;
DELETE FROM resident_search_pending;
UPDATE resident_search_cursor SET last_rowid = 0, tenant_code = '', code = '';
