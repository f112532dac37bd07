-- JPKI issuance work records (R-JPKI-2; internal/jpki): what is sent to
-- and received from the certification authority lives only here, sealed by
-- the vault, while one issuance is processed. A record is destroyed in the
-- same transaction as its outcome is recorded (issued, refused, cancelled,
-- timed out); the sweeper destroys what a crash left behind, at start and
-- every minute. No certificate and no personal item is kept anywhere else:
-- what remains is the audit event. Row-level security: forced, on bango.scope.
CREATE TABLE jpki_work (
    id            TEXT PRIMARY KEY,
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('open', 'sending')),
    instance      TEXT NOT NULL, -- the process that opened it; another's is a crash's leftover
    opened_by     TEXT NOT NULL,
    opened_at     {{time}} NOT NULL,
    expires_at    {{time}} NOT NULL,
    sealed        {{bytes}} NOT NULL,
    key_version   INTEGER NOT NULL
);
CREATE INDEX jpki_work_expiry ON jpki_work (expires_at);

ALTER TABLE jpki_work ENABLE ROW LEVEL SECURITY;
ALTER TABLE jpki_work FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON jpki_work USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
