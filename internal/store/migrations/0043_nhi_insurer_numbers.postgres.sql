-- A municipality's NHI 保険者番号 (six digits), as configuration with the
-- day from which it is in force: the number every file of the NHI
-- aggregation exchange carries in its header (the eligibility-continuity
-- file, whether exported by hand, pulled by the partner or made by the
-- daily schedule). A change (a merger of municipalities gives a new
-- number) is a new row from its day; the rows are never updated.
CREATE TABLE nhi_insurer_numbers (
    tenant_code    TEXT NOT NULL REFERENCES tenants (code),
    effective_from DATE NOT NULL,
    insurer_no     TEXT NOT NULL CHECK (length(insurer_no) = 6),
    created_at     {{time}} NOT NULL,
    created_by     TEXT NOT NULL,
    PRIMARY KEY (tenant_code, effective_from)
);

ALTER TABLE nhi_insurer_numbers ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_insurer_numbers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_insurer_numbers USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
