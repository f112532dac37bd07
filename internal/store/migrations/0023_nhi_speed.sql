-- NHI reads that must not scan a municipality (issue 18, bango bench nhi):
-- a person's scheduled 75th-birthday loss, read with every insured
-- person shown (nhi_scheduled_losses was keyed by acquisition only), and
-- the losses to 後期高齢者医療 by date, which the 70–74 cost share looks
-- for among a household's former members.
CREATE INDEX nhi_scheduled_losses_person ON nhi_scheduled_losses (tenant_code, resident_code, status, due_date);
CREATE INDEX nhi_eligibility_events_reason ON nhi_eligibility_events (tenant_code, reason, effective_date);
