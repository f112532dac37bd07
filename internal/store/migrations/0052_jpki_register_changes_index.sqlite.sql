-- JPKI (issue 22; internal/jpki): the register's changes and departures
-- sent to the certification authority every minute are found through
-- indexes instead of a scan of the municipality's register. The times are
-- compared as instants (julianday), whatever offset a writer stamped, so
-- the indexes are on that expression.
CREATE INDEX residents_updated_at ON residents (tenant_code, julianday(updated_at));
CREATE INDEX resident_departures_recorded ON resident_departures (tenant_code, julianday(recorded_at));
