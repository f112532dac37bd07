-- Staff users (R-AUTH-1…3, R-AC-1). tenant_code is the home municipality,
-- '' for staff of the union or IS department who belong to none. login_id
-- never changes: the sealed TOTP secret is bound to it. seal_scope is the
-- vault scope of the user's secrets ('' = system).
CREATE TABLE staff_users (
    id                   {{serial}},
    login_id             TEXT NOT NULL UNIQUE CHECK (login_id <> ''),
    name                 TEXT NOT NULL CHECK (name <> ''),
    tenant_code          TEXT NOT NULL DEFAULT '',
    department           TEXT NOT NULL DEFAULT '',
    section              TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    password_hash        TEXT NOT NULL DEFAULT '',
    password_changed_at  {{time}},
    must_change_password {{bool}} NOT NULL DEFAULT TRUE,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         {{time}},
    seal_scope           TEXT NOT NULL DEFAULT '',
    totp_sealed          {{bytes}},
    totp_key_version     INTEGER,
    totp_last_step       BIGINT NOT NULL DEFAULT 0,
    pin_hash             TEXT NOT NULL DEFAULT '',
    created_at           {{time}} NOT NULL,
    updated_at           {{time}} NOT NULL,
    CHECK ((totp_sealed IS NULL) = (totp_key_version IS NULL))
);

-- The last passwords of each user, so that none of the last five is reused.
CREATE TABLE staff_password_history (
    user_id    BIGINT NOT NULL REFERENCES staff_users (id),
    hash       TEXT NOT NULL,
    created_at {{time}} NOT NULL
);
CREATE INDEX staff_password_history_user ON staff_password_history (user_id, created_at);
