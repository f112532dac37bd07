-- The audit log (R-AUD-1). A business transaction inserts its event here, in
-- the same transaction as the change it records. xid is the inserting
-- transaction's id: the sequencer only takes events whose transactions are
-- all finished (xid below the snapshot's xmin), so an event committed late by
-- a long transaction is never skipped.
CREATE TABLE audit_events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid            BIGINT NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    time           TIMESTAMPTZ NOT NULL,
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
-- xid rises with insertion order, so a BRIN index finds the recent events
-- the sequencer asks for at almost no cost per insert (a B-tree index here
-- cost the append path about a tenth of its speed).
CREATE INDEX audit_events_xid ON audit_events USING brin (xid) WITH (pages_per_range = 16);

-- The Merkle tree: leaf seq is event event_id (not indexed: nothing looks a
-- leaf up by event, and verify reports an event placed twice as the first
-- leaf's event missing); hashes are the RFC 6962
-- hashes stored when the leaf was appended (tlog.StoredHashes: the leaf
-- hash, then one hash per subtree the leaf completes). time is copied from
-- the event so that retention can be checked after the event is pruned.
CREATE TABLE audit_log (
    seq      BIGINT PRIMARY KEY CHECK (seq >= 0),
    event_id BIGINT NOT NULL,
    time     TIMESTAMPTZ NOT NULL,
    hashes   BYTEA NOT NULL
);

-- The sequencer's state: tree size, and where the next run starts (an xid
-- on PostgreSQL, an event id on SQLite). pruning is set only inside a
-- retention run, the one time audit rows may be deleted.
CREATE TABLE audit_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    size     BIGINT NOT NULL,
    boundary BIGINT NOT NULL,
    pruning  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO audit_head (id, size, boundary) VALUES (1, 0, 0);

-- Signed checkpoints (note format, Ed25519).
CREATE TABLE audit_checkpoints (
    size       BIGINT PRIMARY KEY,
    root       BYTEA NOT NULL,
    note       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Nothing changes or removes an audit row through bango. A DBA can still
-- disable these triggers; `bango audit verify` catches what they then do.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events'
       AND (SELECT pruning FROM audit_head WHERE id = 1) = 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
