-- 0054: nhi_pension_notice_withdraw
SELECT 1;
