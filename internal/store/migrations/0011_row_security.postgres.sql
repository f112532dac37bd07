-- Row-level security on every tenant-owned table (R-AC-6): the second
-- wall behind the tenant predicate each query carries. bango.scope is a
-- comma-separated list of municipality codes, or '*' for the system's own
-- work; an unset or empty scope sees nothing. FORCE makes the policies
-- bind the tables' owner too; only a superuser bypasses them, so
-- production connects as an ordinary role (see README).
CREATE FUNCTION bango_in_scope(tenant TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT COALESCE(current_setting('bango.scope', true), '') = '*'
        OR tenant = ANY (string_to_array(COALESCE(current_setting('bango.scope', true), ''), ','))
$$;

ALTER TABLE residents ENABLE ROW LEVEL SECURITY;
ALTER TABLE residents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON residents USING (bango_in_scope(tenant_code)) WITH CHECK (bango_in_scope(tenant_code));

ALTER TABLE identity_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE identity_verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON identity_verifications USING (bango_in_scope(tenant_code)) WITH CHECK (bango_in_scope(tenant_code));

ALTER TABLE review_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON review_changes USING (bango_in_scope(tenant_code)) WITH CHECK (bango_in_scope(tenant_code));

ALTER TABLE export_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE export_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON export_requests USING (bango_in_scope(tenant_code)) WITH CHECK (bango_in_scope(tenant_code));
