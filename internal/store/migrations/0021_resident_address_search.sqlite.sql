-- Resident search by part of an address (issue 17): 西新宿, 新宿二丁目, 北3条.
-- Addresses are held in the register as plain text, as names are (only
-- the My Number is sealed), so the address is indexed as the names are
-- (0014): an FTS5 trigram index holding only the index, keyed by
-- resident_search_ids, written after the register by
-- resident.IndexForSearch.
CREATE VIRTUAL TABLE resident_addresses USING fts5(address, content = '', contentless_delete = 1,
    tokenize = 'trigram case_sensitive 1');
INSERT INTO resident_addresses (rowid, address)
SELECT i.id, r.address FROM resident_search_ids AS i JOIN residents AS r ON r.tenant_code = i.tenant_code AND r.code = i.code;

-- A changed address waits for the index like a changed name.
DROP TRIGGER residents_search_update;
CREATE TRIGGER residents_search_update AFTER UPDATE OF tenant_code, code, name_kana, name_kanji, address ON residents
    WHEN old.name_kana IS NOT new.name_kana OR old.name_kanji IS NOT new.name_kanji OR old.address IS NOT new.address
        OR old.tenant_code IS NOT new.tenant_code OR old.code IS NOT new.code
BEGIN
    INSERT INTO resident_search_pending (tenant_code, code) VALUES (old.tenant_code, old.code);
    INSERT INTO resident_search_pending (tenant_code, code) VALUES (new.tenant_code, new.code);
END;
