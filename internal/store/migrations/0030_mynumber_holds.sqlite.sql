-- Minimum holding of My Numbers (R-STO-2; internal/mnhold): which business
-- holds a resident's My Number and until when it needs it. A business
-- holds the number from the day it receives it; when its need ends (for
-- public-expense care: the last certificate ended and the retention period
-- passed) it sets needed_until, and the monthly run ends every hold whose
-- needed_until has passed. When no hold of a resident is left open, the
-- sealed number and its blind index are deleted from the resident, and the
-- deletion is a row of mynumber_deletions (the report) and an audit event.
-- A resident with no hold at all is not managed by holds and never deleted.
CREATE TABLE mynumber_holds (
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    business      TEXT NOT NULL,
    held_since    DATE NOT NULL,
    needed_until  DATE,            -- NULL while the business needs the number
    ended_on      DATE,            -- the run that ended the hold
    PRIMARY KEY (tenant_code, resident_code, business)
);
CREATE INDEX mynumber_holds_due ON mynumber_holds (tenant_code, needed_until) ;

CREATE TABLE mynumber_deletions (
    id            INTEGER PRIMARY KEY,
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    businesses    TEXT NOT NULL,   -- the holds that ended, comma-separated
    needed_until  DATE NOT NULL,   -- the latest needed_until of those holds
    deleted_on    DATE NOT NULL,
    deleted_at    TIMESTAMP NOT NULL,
    deleted_by    TEXT NOT NULL
);
CREATE INDEX mynumber_deletions_day ON mynumber_deletions (tenant_code, deleted_on, id);

-- The months the run was made in each municipality (one run a month).
CREATE TABLE mynumber_hold_runs (
    tenant_code TEXT NOT NULL,
    month       TEXT NOT NULL,     -- YYYY-MM
    ran_at      TIMESTAMP NOT NULL,
    ended       INTEGER NOT NULL,  -- holds ended
    deleted     INTEGER NOT NULL,  -- numbers deleted
    PRIMARY KEY (tenant_code, month)
);

-- A public-expense application typed with the My Number on it (R-PUB-2):
-- whether the number was entered (it is kept only in the resident's record,
-- sealed) and the identity verification recorded at intake (R-ACC-4).
ALTER TABLE pubmed_applications ADD COLUMN mynumber_entered BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE pubmed_applications ADD COLUMN verification_id BIGINT;
ALTER TABLE pubmed_applications ADD COLUMN verification_method TEXT NOT NULL DEFAULT '';
