-- nhi_remissions_births: claimed; the real statements follow in the next commit.
SELECT 1;
