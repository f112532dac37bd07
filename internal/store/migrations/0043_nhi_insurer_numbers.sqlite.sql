-- nhi_insurer_numbers: claimed; the real statements follow in the next commit.
SELECT 1;
