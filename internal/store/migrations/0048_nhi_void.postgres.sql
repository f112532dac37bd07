-- 0048: nhi_void (filled in by its author)
SELECT 1;
