-- Turning 70 inside a decided period (R-NHI-3; internal/nhi): the daily
-- job decides the household of an insured person from the first day of
-- their 70–74 cost share (the first of the month after the 70th birthday,
-- the birthday month for one born on the 1st) and records here that it
-- did, with the outcome, so that a rerun decides nothing twice.
-- decided: a decision from that day was recorded; unchanged: the one in
-- force already counted the person alike; refused: figures missing (the
-- household's failed event says which; a clerk decides once entered);
-- not_insured / no_household: nothing to decide on that day.
CREATE TABLE nhi_age70_decisions (
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    elderly_from  DATE NOT NULL,
    household_id  INTEGER,
    outcome       TEXT NOT NULL CHECK (outcome IN ('decided', 'unchanged', 'refused', 'not_insured', 'no_household')),
    detail        TEXT NOT NULL DEFAULT '',
    recorded_at   TIMESTAMP NOT NULL,
    recorded_by   TEXT NOT NULL,
    PRIMARY KEY (tenant_code, resident_code, elderly_from)
);
