-- nhi_age70: claimed; the real statements follow in the next commit.
SELECT 1;
