-- A resident who had moved out and came back (a new record of the
-- resident-records differences for a code bango keeps, whose departure
-- is a move out dated before the return): the resident is a resident
-- again — the departure row goes — and the ended departure is kept here
-- with the return's date and the file that brought it, so the history
-- stays (the records of both files stay in linkage_resident_differences).
CREATE TABLE resident_returns (
    tenant_code      TEXT NOT NULL,
    resident_code    TEXT NOT NULL,
    departed_kind    TEXT NOT NULL CHECK (departed_kind = 'moved_out'),
    departed_on      DATE NOT NULL,
    departure_source TEXT NOT NULL,
    returned_on      DATE NOT NULL,
    change           TEXT NOT NULL,
    source           TEXT NOT NULL,
    recorded_at      {{time}} NOT NULL,
    CHECK (departed_on < returned_on),
    PRIMARY KEY (tenant_code, resident_code, returned_on)
);

ALTER TABLE resident_returns ENABLE ROW LEVEL SECURITY;
ALTER TABLE resident_returns FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON resident_returns USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));
