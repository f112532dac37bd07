-- Resident search on PostgreSQL reads a name's start from its postings
-- (resident_prefixes, 0035) and anything longer from the trigram postings;
-- only the NHI search still walks resident_search by the family name's
-- reading (resident_search_name_kana) and both by the date of birth. The
-- indexes of the name as written and of the given names are read by no
-- statement: each cost every indexed resident three more index entries
-- (bango bench import: the search index after a bulk import).
DROP INDEX resident_search_name_kanji;
DROP INDEX resident_search_given_kana;
DROP INDEX resident_search_given_kanji;
