-- Municipalities (地方公共団体), by their 6-digit code. Every tenant-owned row
-- carries tenant_code.
CREATE TABLE tenants (
    code       TEXT PRIMARY KEY CHECK (length(code) = 6),
    name       TEXT NOT NULL CHECK (name <> ''),
    created_at {{time}} NOT NULL
);

-- Data keys per tenant and purpose ('seal' for AES-GCM, 'index' for the
-- blind-index HMAC), each wrapped by a version of the master key. The
-- plaintext keys never reach the database. Tenant '' is the system scope:
-- secrets that belong to no municipality (staff second factors).
CREATE TABLE vault_data_keys (
    tenant_code    TEXT NOT NULL CHECK (tenant_code = '' OR length(tenant_code) = 6),
    purpose        TEXT NOT NULL CHECK (purpose IN ('seal', 'index')),
    version        INTEGER NOT NULL CHECK (version > 0),
    master_version INTEGER NOT NULL CHECK (master_version > 0),
    wrapped        {{bytes}} NOT NULL,
    created_at     {{time}} NOT NULL,
    PRIMARY KEY (tenant_code, purpose, version)
);

-- Address records (宛名): the basic four items, alias, and the sealed My
-- Number with its blind index. tenant_code has no foreign key: on
-- PostgreSQL the per-row check costs ~40% of bulk-import throughput, and
-- tenants are never deleted; resident.Service checks that the municipality
-- exists once per call instead.
CREATE TABLE residents (
    tenant_code          TEXT NOT NULL,
    code                 TEXT NOT NULL,
    name_kanji           TEXT NOT NULL,
    name_kana            TEXT NOT NULL,
    alias                TEXT NOT NULL DEFAULT '',
    address              TEXT NOT NULL,
    birth_date           DATE NOT NULL,
    sex                  TEXT NOT NULL CHECK (sex IN ('1', '2')),
    mynumber_sealed      {{bytes}},
    mynumber_bidx        {{bytes}},
    mynumber_key_version INTEGER,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           {{time}} NOT NULL,
    updated_at           {{time}} NOT NULL,
    PRIMARY KEY (tenant_code, code),
    CHECK ((mynumber_sealed IS NULL) = (mynumber_bidx IS NULL)),
    CHECK ((mynumber_sealed IS NULL) = (mynumber_key_version IS NULL))
);

-- One My Number belongs to one resident of a municipality. NULLs (no number
-- yet) do not collide on either engine.
CREATE UNIQUE INDEX residents_mynumber ON residents (tenant_code, mynumber_bidx);

-- Identity verification at intake (R-ACC-4).
CREATE TABLE identity_verifications (
    id            {{serial}},
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    method        TEXT NOT NULL CHECK (method IN ('mynumber_card', 'notification_card_photo_id', 'signature_certificate')),
    verified_by   TEXT NOT NULL CHECK (verified_by <> ''),
    verified_at   {{time}} NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (tenant_code, resident_code) REFERENCES residents (tenant_code, code)
);
CREATE INDEX identity_verifications_resident ON identity_verifications (tenant_code, resident_code);
