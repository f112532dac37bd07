-- 0057: numbersetup_blocks
SELECT 1;
