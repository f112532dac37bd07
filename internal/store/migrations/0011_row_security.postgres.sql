-- Row-level security on every tenant-owned table (R-AC-6): the second
-- wall behind the tenant predicate each query carries. bango.scope is a
-- comma-separated list of municipality codes, or '*' for the system's own
-- work; an unset or empty scope sees nothing. FORCE makes the policies
-- bind the tables' owner too; only a superuser bypasses them, so
-- production connects as an ordinary role (see README).
-- The scope is read once per statement: each policy wraps these calls in
-- a sub-select, which PostgreSQL evaluates once (an InitPlan), not per row.
CREATE FUNCTION bango_scope_all() RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT COALESCE(current_setting('bango.scope', true), '') = '*'
$$;
CREATE FUNCTION bango_scope_tenants() RETURNS TEXT[] LANGUAGE sql STABLE AS $$
    SELECT string_to_array(COALESCE(current_setting('bango.scope', true), ''), ',')
$$;

ALTER TABLE residents ENABLE ROW LEVEL SECURITY;
ALTER TABLE residents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON residents USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE identity_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE identity_verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON identity_verifications USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE review_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON review_changes USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE export_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE export_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON export_requests USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
