-- pubmed_registrations: claimed; the real statements follow in the next commit.
SELECT 1;
