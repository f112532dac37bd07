-- Importing residents on PostgreSQL (issue 14 G). A statement trigger with
-- a transition table (0017) queued each insert's residents for the search
-- index; PostgreSQL then keeps a copy of every inserted row for it, which
-- cost a third of a bulk import (bango bench import, 300,000 residents:
-- ratio 0.52 with it, 0.75 without). Residents inserted one at a time
-- are now queued by a row trigger; resident.Import queues each staged
-- chunk's codes itself in the same transaction and says so with the
-- setting bango.search_pending, which the row trigger then skips.
DROP TRIGGER residents_search_insert ON residents;
DROP FUNCTION residents_search_inserted();
CREATE FUNCTION residents_search_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resident_search_pending (tenant_code, codes) VALUES (NEW.tenant_code, ARRAY[NEW.code]);
    RETURN NULL;
END $$;
CREATE TRIGGER residents_search_insert AFTER INSERT ON residents FOR EACH ROW
    WHEN (current_setting('bango.search_pending', true) IS DISTINCT FROM 'written')
    EXECUTE FUNCTION residents_search_inserted();
