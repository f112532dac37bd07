-- Audit search (R-AUD-2): the two searches auditors run most, by subject
-- (a resident, a staff member, a My Number's blind index) and by actor
-- over a period, each answered from an index with the newest first. The
-- index is kept apart from audit_events and filled from the placed leaves
-- in the background (and caught up before each search), so that the
-- business transaction that writes an event pays for no search index.
-- Only placed events are indexed: every result has its inclusion proof.
CREATE TABLE audit_search (
    event_id     BIGINT PRIMARY KEY,
    seq          BIGINT NOT NULL,
    time         {{time}} NOT NULL,
    tenant_code  TEXT NOT NULL,
    actor_user   TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL
);
CREATE INDEX audit_search_seq ON audit_search (seq);
CREATE INDEX audit_search_subject ON audit_search (subject_type, subject_id, event_id);
CREATE INDEX audit_search_actor ON audit_search (actor_user, time, event_id);

-- Periodic review (R-AUD-4): the privacy manager goes through the reveals
-- and alerts of a period and signs it off.
CREATE TABLE audit_reviews (
    id          {{serial}},
    tenant_code TEXT NOT NULL DEFAULT '',
    period_from {{time}} NOT NULL,
    period_to   {{time}} NOT NULL,
    reveals     INTEGER NOT NULL,
    alerts      INTEGER NOT NULL,
    reviewer    TEXT NOT NULL CHECK (reviewer <> ''),
    signed_at   {{time}} NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    CHECK (period_to > period_from)
);

-- Database-connection monitoring (R-AUD-3): the connections bango expects;
-- anything else seen in pg_stat_activity is an unknown connection. An
-- empty field matches anything.
CREATE TABLE db_allowlist (
    id               {{serial}},
    role_name        TEXT NOT NULL DEFAULT '',
    application_name TEXT NOT NULL DEFAULT '',
    client_cidr      TEXT NOT NULL DEFAULT '',
    note             TEXT NOT NULL DEFAULT '',
    created_by       TEXT NOT NULL,
    created_at       {{time}} NOT NULL
);

-- Connections seen by the monitor, per sample (kept for the reports).
CREATE TABLE db_connection_samples (
    id               {{serial}},
    sampled_at       {{time}} NOT NULL,
    role_name        TEXT NOT NULL,
    application_name TEXT NOT NULL,
    client_addr      TEXT NOT NULL,
    known            {{bool}} NOT NULL
);
CREATE INDEX db_connection_samples_time ON db_connection_samples (sampled_at);

-- Outgoing mail (status reports), retried with backoff until sent; the
-- IS administrator's home page shows what is failing.
CREATE TABLE mail_outbox (
    id           {{serial}},
    created_at   {{time}} NOT NULL,
    recipients   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt {{time}} NOT NULL,
    last_error   TEXT NOT NULL DEFAULT '',
    sent_at      {{time}}
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt);

-- Where the alert rules have read the placed audit log up to (a leaf
-- number: leaves are placed in order, ids are not committed in order).
CREATE TABLE alert_cursor (
    rule     TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
