-- issue 20: partner client certificates (mTLS, R-LNK-3).
-- A partner's certificate, issued by bango's partner CA (internal/tlsca):
-- bango keeps its serial and fingerprint, never its key. A request over
-- the partner listener is let through only with a certificate found here,
-- not revoked, of an active partner; revoked_at ends it at the next
-- request.
CREATE TABLE linkage_partner_certs (
    tenant_code TEXT NOT NULL,
    partner     TEXT NOT NULL,
    serial      TEXT NOT NULL CHECK (serial <> ''),
    fingerprint TEXT NOT NULL CHECK (fingerprint <> ''),
    not_after   {{time}} NOT NULL,
    issued_at   {{time}} NOT NULL,
    issued_by   TEXT NOT NULL,
    revoked_at  {{time}},
    revoked_by  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_code, fingerprint),
    FOREIGN KEY (tenant_code, partner) REFERENCES linkage_partners (tenant_code, partner)
);
CREATE INDEX linkage_partner_certs_partner ON linkage_partner_certs (tenant_code, partner);

ALTER TABLE linkage_partner_certs ENABLE ROW LEVEL SECURITY;
ALTER TABLE linkage_partner_certs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON linkage_partner_certs USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
