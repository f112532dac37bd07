-- Staff sessions (R-AUTH-4), server-side so that several servers share
-- them. Only a hash of the cookie's token is stored: a copy of this table
-- opens no session. stage 'password' has passed the password only;
-- 'active' has passed the second factor. A locked session (idle too long)
-- needs the second factor again.
CREATE TABLE staff_sessions (
    token_hash       {{bytes}} PRIMARY KEY,
    user_id          BIGINT NOT NULL REFERENCES staff_users (id),
    stage            TEXT NOT NULL CHECK (stage IN ('password', 'active')),
    locked           {{bool}} NOT NULL DEFAULT FALSE,
    csrf_token       TEXT NOT NULL,
    address          TEXT NOT NULL DEFAULT '',
    terminal         TEXT NOT NULL DEFAULT '',
    return_to        TEXT NOT NULL DEFAULT '',
    created_at       {{time}} NOT NULL,
    last_seen_at     {{time}} NOT NULL,
    second_factor_at {{time}},
    expires_at       {{time}} NOT NULL
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);
