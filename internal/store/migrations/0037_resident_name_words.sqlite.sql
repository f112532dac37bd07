-- Resident search by the start of a name on SQLite, one or two characters
-- (issue 14 I): オオ, 前田, 樹. The starts were ranges of the register's
-- name indexes, sorted by code for each page (a common start at
-- 1,000,000 residents: thousands of entries). The names' words — family
-- and given name, split at the space — are now an FTS5 index with prefix
-- indexes of one and two characters, numbered like the trigram indexes
-- (0034) so that a page is the first matches read. Written after the
-- register by resident.IndexForSearch.
CREATE VIRTUAL TABLE resident_words USING fts5(kana, kanji, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0', prefix = '1 2');
INSERT INTO resident_words (rowid, kana, kanji)
SELECT i.id, r.name_kana, r.name_kanji FROM resident_search_ids AS i JOIN residents AS r ON r.tenant_code = i.tenant_code AND r.code = i.code;
