-- issue 20: a resident who comes back (a new record for someone who moved
-- out, applied as a return) and was insured by the NHI when they left is
-- put on the NHI section's work list of moves like one who moved out, as
-- kind 'returned', so that staff record the acquisition again. SQLite
-- changes a table's constraints only by building it again.
CREATE TABLE linkage_nhi_moves_new (
    tenant_code   TEXT NOT NULL,
    job_id        BIGINT NOT NULL REFERENCES linkage_jobs (id),
    line          INTEGER NOT NULL,
    resident_code TEXT NOT NULL,
    change        TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('moved_out', 'deceased', 'returned')),
    effective     DATE NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    done_by       TEXT NOT NULL DEFAULT '',
    done_at       {{time}},
    PRIMARY KEY (job_id, line)
);
INSERT INTO linkage_nhi_moves_new (tenant_code, job_id, line, resident_code, change, kind, effective, status, done_by, done_at)
SELECT tenant_code, job_id, line, resident_code, change, kind, effective, status, done_by, done_at FROM linkage_nhi_moves;
DROP TABLE linkage_nhi_moves;
ALTER TABLE linkage_nhi_moves_new RENAME TO linkage_nhi_moves;
CREATE INDEX linkage_nhi_moves_status ON linkage_nhi_moves (tenant_code, status);
