-- NHI premium assessment (賦課, R-NHI-4; internal/nhi/assess). Nothing here
-- is overwritten: a municipality's rate table of a fiscal year is a
-- confirmed version that a later version supersedes, a member's revenue of
-- an income year is a row that a later row supersedes, and a household's
-- assessment is kept when a re-assessment follows it, with the difference.

-- A municipality's rate table (料率表) of a fiscal year, as confirmed by a
-- second person through the review engine (kind nhi.rates). seq orders the
-- versions of the year: the highest is in force. A confirmed version is
-- never changed (the trigger below refuses it); a correction is a new one.
CREATE TABLE nhi_rate_tables (
    id           {{serial}},
    tenant_code  TEXT NOT NULL,
    fiscal_year  INTEGER NOT NULL,
    seq          INTEGER NOT NULL CHECK (seq > 0),
    version      TEXT NOT NULL CHECK (version <> ''), -- the table's own label, recorded by each assessment
    source       TEXT NOT NULL,                       -- the ordinance or notice the figures are from
    body         TEXT NOT NULL,                       -- the table as confirmed (JSON, the README's rate-table format)
    confirmed_at {{time}} NOT NULL,
    confirmed_by TEXT NOT NULL,
    UNIQUE (tenant_code, fiscal_year, seq),
    UNIQUE (tenant_code, fiscal_year, version)
);

-- A person's revenue of an income year (暦年) as the premium takes it:
-- 給与収入, 公的年金等収入 and other income (所得). The latest row of a
-- person and year is in force; earlier rows stay as entered.
CREATE TABLE nhi_revenues (
    id              {{serial}},
    tenant_code     TEXT NOT NULL,
    resident_code   TEXT NOT NULL,
    income_year     INTEGER NOT NULL,
    salary_revenue  BIGINT NOT NULL CHECK (salary_revenue >= 0),
    pension_revenue BIGINT NOT NULL CHECK (pension_revenue >= 0),
    other_income    BIGINT NOT NULL CHECK (other_income >= 0),
    recorded_at     {{time}} NOT NULL,
    recorded_by     TEXT NOT NULL
);
CREATE INDEX nhi_revenues_year ON nhi_revenues (tenant_code, income_year, resident_code, id);

-- A household's assessment (賦課) of a fiscal year. seq 1 is the first;
-- each re-assessment is the next seq with the total before it and the
-- difference, the earlier rows kept. input is the household as computed
-- (resident codes, birth dates, months, revenues: never a My Number) and
-- input_digest its hash with the rate table and rules, so that a run
-- again skips a household whose figures did not change. result is the
-- premium engine's whole breakdown; the versions it used are columns.
CREATE TABLE nhi_assessments (
    id                   {{serial}},
    tenant_code          TEXT NOT NULL,
    fiscal_year          INTEGER NOT NULL,
    household_id         BIGINT NOT NULL REFERENCES nhi_households (id),
    seq                  INTEGER NOT NULL CHECK (seq > 0),
    rate_table_id        BIGINT NOT NULL REFERENCES nhi_rate_tables (id),
    rates_version        TEXT NOT NULL,
    rules_version        TEXT NOT NULL,
    income_table_version TEXT NOT NULL,
    input_digest         TEXT NOT NULL,
    input                TEXT NOT NULL,
    result               TEXT NOT NULL,
    total                BIGINT NOT NULL CHECK (total >= 0),
    previous_total       BIGINT,
    difference           BIGINT NOT NULL,
    assessed_at          {{time}} NOT NULL,
    assessed_by          TEXT NOT NULL,
    UNIQUE (tenant_code, fiscal_year, household_id, seq)
);
CREATE INDEX nhi_assessments_household ON nhi_assessments (tenant_code, household_id, fiscal_year, seq);

CREATE FUNCTION bango_rate_table_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a confirmed NHI rate table is never changed: confirm a new version';
END $$;
CREATE TRIGGER nhi_rate_tables_immutable BEFORE UPDATE OR DELETE ON nhi_rate_tables
    FOR EACH ROW EXECUTE FUNCTION bango_rate_table_immutable();

ALTER TABLE nhi_rate_tables ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_rate_tables FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_rate_tables USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_revenues ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_revenues FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_revenues USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

ALTER TABLE nhi_assessments ENABLE ROW LEVEL SECURITY;
ALTER TABLE nhi_assessments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON nhi_assessments USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
