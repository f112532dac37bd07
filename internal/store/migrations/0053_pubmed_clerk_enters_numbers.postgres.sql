-- 0053: pubmed_clerk_enters_numbers (filled in by its author)
SELECT 1;
