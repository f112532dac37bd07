-- Whether a person is insured on a date is their latest eligibility event
-- on or before it being an acquisition: the NHI searches ask it of every
-- candidate (a common name's page and its count up to 1,000), the yearly
-- cost share of every person of the age (issue 18, bango bench nhi). The
-- index of a person's events carries the kind, so that the question is
-- answered from the index alone, without a read of the event's row.
CREATE INDEX nhi_eligibility_events_in_force ON nhi_eligibility_events (tenant_code, resident_code, effective_date, id, kind);
DROP INDEX nhi_eligibility_events_person;
