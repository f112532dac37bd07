-- linkage_schedule_times: claimed; the real statements follow in the next commit.
SELECT 1;
