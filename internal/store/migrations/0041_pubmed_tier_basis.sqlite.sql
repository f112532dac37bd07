-- pubmed_tier_basis: claimed; the real statements follow in the next commit.
SELECT 1;
