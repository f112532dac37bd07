-- Designated terminals (R-AUTH-5): the IS department registers each
-- terminal that may reach bango, by the addresses it connects from and,
-- optionally, the SHA-256 fingerprint of its client certificate.
CREATE TABLE terminals (
    id               {{serial}},
    name             TEXT NOT NULL UNIQUE CHECK (name <> ''),
    tenant_code      TEXT NOT NULL DEFAULT '',
    section          TEXT NOT NULL DEFAULT '',
    cidrs            TEXT NOT NULL CHECK (cidrs <> ''),
    cert_fingerprint TEXT NOT NULL DEFAULT '',
    active           {{bool}} NOT NULL DEFAULT TRUE,
    created_at       {{time}} NOT NULL
);
