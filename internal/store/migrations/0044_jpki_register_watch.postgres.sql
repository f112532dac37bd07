-- JPKI: the register's changes sent to the certification authority (issue
-- 22; internal/jpki). A signature certificate carries the basic four items
-- and the alias, and must be revoked when they change: as a municipality's
-- register system tells J-LIS of every change, the jpki module's job sends
-- the current items of every resident changed since `through` and the CA
-- revokes the signature certificates that no longer match. One row a
-- municipality: how far the register has been sent. No personal item.
-- Row-level security: forced, on bango.scope.
CREATE TABLE jpki_register_watch (
    tenant_code TEXT PRIMARY KEY,
    through     {{time}} NOT NULL
);

ALTER TABLE jpki_register_watch ENABLE ROW LEVEL SECURITY;
ALTER TABLE jpki_register_watch FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON jpki_register_watch USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
