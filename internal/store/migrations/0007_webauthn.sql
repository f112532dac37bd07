-- WebAuthn credentials, the biometric second factor (R-AUTH-1). Only the
-- credential record is kept: public key, signature counter, flags. No
-- biometric template ever leaves the authenticator. The record is sealed
-- by the vault, bound to its row, so that whoever can write to the
-- database still cannot slip in a key of their own. ref is the credential
-- ID in base64url, the only clear-text lookup value.
CREATE TABLE staff_webauthn_credentials (
    id                 {{serial}},
    user_id            BIGINT NOT NULL REFERENCES staff_users (id),
    ref                TEXT NOT NULL UNIQUE CHECK (ref <> ''),
    name               TEXT NOT NULL CHECK (name <> ''),
    seal_scope         TEXT NOT NULL DEFAULT '',
    record_sealed      {{bytes}} NOT NULL,
    record_key_version INTEGER NOT NULL,
    created_at         {{time}} NOT NULL,
    last_used_at       {{time}}
);
CREATE INDEX staff_webauthn_credentials_user ON staff_webauthn_credentials (user_id);

-- The WebAuthn user handle: random, stable, no personal data in it.
ALTER TABLE staff_users ADD COLUMN webauthn_handle {{bytes}};

-- The open WebAuthn ceremony of a session (challenge and expiry), used
-- once: a response is checked against it and it is cleared.
ALTER TABLE staff_sessions ADD COLUMN webauthn_ceremony TEXT NOT NULL DEFAULT '';
