-- 0049: nhi_remission_changes (filled in by its author)
SELECT 1;
