-- NHI premium (issue 19, R-NHI-4): 減免 decided on application, the 出産
-- 届出 the 産前産後 exemption is derived from, and the pension insurers'
-- notices that decide special collection from pensions (特別徴収).

-- A 減免 a checker confirmed (review kind nhi.remission): the rule it used
-- (a copy of the rate table's rule, with the table's id), the months it
-- covers and the re-assessment it gave. A pending or declined application
-- stays in the review engine only.
CREATE TABLE nhi_remissions (
    id             {{serial}},
    tenant_code    TEXT NOT NULL,
    fiscal_year    INTEGER NOT NULL,
    household_id   BIGINT NOT NULL REFERENCES nhi_households (id),
    reason_code    TEXT NOT NULL,
    rule           TEXT NOT NULL,   -- the rule as applied (JSON)
    rate_table_id  BIGINT NOT NULL REFERENCES nhi_rate_tables (id),
    from_month     TEXT NOT NULL,   -- YYYY-MM
    to_month       TEXT NOT NULL,   -- YYYY-MM
    note           TEXT NOT NULL,
    received_on    DATE NOT NULL,
    entered_by     TEXT NOT NULL,
    decided_at     {{time}} NOT NULL,
    decided_by     TEXT NOT NULL,
    assessment_id  BIGINT REFERENCES nhi_assessments (id)
);
CREATE INDEX nhi_remissions_year ON nhi_remissions (tenant_code, fiscal_year, household_id, id);

-- A birth notified for the 産前産後 exemption (出産の届出): expected
-- (before) or actual (after), single or multiple. The latest entry of a
-- person for a birth month window is in force; earlier ones are kept.
CREATE TABLE nhi_births (
    id             {{serial}},
    tenant_code    TEXT NOT NULL,
    resident_code  TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('expected', 'actual')),
    birth_month    TEXT NOT NULL,   -- YYYY-MM
    multiple       {{bool}} NOT NULL,
    notified_on    DATE NOT NULL,
    recorded_at    {{time}} NOT NULL,
    recorded_by    TEXT NOT NULL
);
CREATE INDEX nhi_births_person ON nhi_births (tenant_code, resident_code, id);

-- A pension insurer's notice of a person for a fiscal year (年金特徴の対象者
-- 通知): the pension's annual amount and the 介護保険料 collected from it.
-- Special collection of the NHI premium needs what only this notice says.
CREATE TABLE nhi_pension_notices (
    id                  {{serial}},
    tenant_code         TEXT NOT NULL,
    resident_code       TEXT NOT NULL,
    fiscal_year         INTEGER NOT NULL,
    pension_annual      BIGINT NOT NULL CHECK (pension_annual >= 0),
    care_premium_annual BIGINT NOT NULL CHECK (care_premium_annual >= 0),
    care_special        {{bool}} NOT NULL,
    recorded_at         {{time}} NOT NULL,
    recorded_by         TEXT NOT NULL
);
CREATE INDEX nhi_pension_notices_year ON nhi_pension_notices (tenant_code, fiscal_year, resident_code, id);

ALTER TABLE nhi_remissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_remissions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_remissions USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_births ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_births FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_births USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_pension_notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_pension_notices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_pension_notices USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
