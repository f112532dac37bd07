-- 0058: mynumber_hold_rules
SELECT 1;
