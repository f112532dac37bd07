-- numbersetup_lighter_candidates: claimed; the real statements follow in the next commit.
SELECT 1;
