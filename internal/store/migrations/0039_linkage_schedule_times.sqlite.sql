-- When a municipality's linkage job runs (issue 20): daily from an hour,
-- or monthly on a day from an hour, in Japan. An empty period keeps the
-- job's own default (the times bango ships in internal/linkage/schedule.go);
-- a change made on the jobs page is filed for a second person and lands
-- here when confirmed. The table keeps its row-level security (0031).
ALTER TABLE linkage_schedules ADD COLUMN period TEXT NOT NULL DEFAULT '';
ALTER TABLE linkage_schedules ADD COLUMN day_of_month INTEGER NOT NULL DEFAULT 0;
ALTER TABLE linkage_schedules ADD COLUMN hour INTEGER NOT NULL DEFAULT -1;
