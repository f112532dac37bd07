-- 0052: jpki_register_changes_index (filled in by its author)
SELECT 1;
