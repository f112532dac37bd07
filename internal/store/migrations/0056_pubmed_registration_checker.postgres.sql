-- 0056: pubmed_registration_checker
SELECT 1;
