-- Row-level security on the NHI tables (R-AC-6; see 0011_row_security.postgres.sql
-- for bango.scope): each is one municipality's. nhi_notice_rules and
-- nhi_cost_share_rules hold statutory figures of no municipality and have
-- no municipality column.

ALTER TABLE nhi_households ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_households FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_households USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_household_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_household_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_household_versions USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_insured ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_insured FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_insured USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_eligibility_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_eligibility_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_eligibility_events USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_memberships USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_scheduled_losses ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_scheduled_losses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_scheduled_losses USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_incomes ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_incomes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_incomes USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_cost_share_decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_cost_share_decisions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_cost_share_decisions USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
