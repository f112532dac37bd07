-- The audit log (R-AUD-1); see 0002_audit.postgres.sql for the design. On
-- SQLite one writer at a time makes id order commit order, so the
-- sequencer's boundary is simply the last event id it took.
CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    time           TIMESTAMP NOT NULL,
    tenant_code    TEXT NOT NULL DEFAULT '',
    actor_user     TEXT NOT NULL CHECK (actor_user <> ''),
    actor_session  TEXT NOT NULL DEFAULT '',
    actor_terminal TEXT NOT NULL DEFAULT '',
    actor_address  TEXT NOT NULL DEFAULT '',
    action         TEXT NOT NULL CHECK (action <> ''),
    subject_type   TEXT NOT NULL DEFAULT '',
    subject_id     TEXT NOT NULL DEFAULT '',
    purpose        TEXT NOT NULL DEFAULT '',
    outcome        TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
    request_id     TEXT NOT NULL DEFAULT '',
    detail         TEXT NOT NULL DEFAULT ''
);

CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY CHECK (seq >= 0),
    event_id INTEGER NOT NULL,
    time     TIMESTAMP NOT NULL,
    hashes   BLOB NOT NULL
);

CREATE TABLE audit_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    size     INTEGER NOT NULL,
    boundary INTEGER NOT NULL,
    pruning  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO audit_head (id, size, boundary) VALUES (1, 0, 0);

CREATE TABLE audit_checkpoints (
    size       INTEGER PRIMARY KEY,
    root       BLOB NOT NULL,
    note       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE on audit_events refused'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN (SELECT pruning FROM audit_head WHERE id = 1) <> 1
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE on audit_events refused'); END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE on audit_log refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE on audit_log refused'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE on audit_checkpoints refused'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE on audit_checkpoints refused'); END;
