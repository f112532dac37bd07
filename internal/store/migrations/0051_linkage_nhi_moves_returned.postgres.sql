-- 0051: linkage_nhi_moves_returned (filled in by its author)
SELECT 1;
