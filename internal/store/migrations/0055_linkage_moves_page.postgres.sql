-- 0055: linkage_moves_page
SELECT 1;
