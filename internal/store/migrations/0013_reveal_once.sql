-- One reveal is one event (R-AC-4): the reveal form carries a one-time
-- token, and a token already used (a page reloaded, a form sent twice)
-- reveals nothing and records nothing. Only the token's hash is kept;
-- the daily cleanup removes tokens older than a day.
CREATE TABLE reveal_once (
    token_hash {{bytes}} PRIMARY KEY,
    login_id   TEXT NOT NULL,
    used_at    {{time}} NOT NULL
);
CREATE INDEX reveal_once_used ON reveal_once (used_at);
