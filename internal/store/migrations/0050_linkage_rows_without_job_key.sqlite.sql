-- 0050: linkage_rows_without_job_key (filled in by its author)
SELECT 1;
