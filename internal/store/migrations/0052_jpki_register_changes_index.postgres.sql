-- JPKI (issue 22; internal/jpki): the register's changes and departures
-- sent to the certification authority every minute are found through
-- indexes instead of a scan of the municipality's register.
-- A BRIN index on updated_at: an insert or update writes its row in the
-- table's recent pages, so the page ranges whose latest change is past the
-- last sending are few, and the index costs the register's writes almost
-- nothing (a B-tree here would be written by every row of a bulk import).
CREATE INDEX residents_updated_at ON residents USING brin (updated_at) WITH (pages_per_range = 16);
-- Departures are few: a B-tree in the municipality's order of recording.
CREATE INDEX resident_departures_recorded ON resident_departures (tenant_code, recorded_at);
