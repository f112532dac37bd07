-- Row-level security, completed (R-AC-6; see 0011_row_security.postgres.sql
-- for bango.scope). Every table with a municipality column either has a
-- forced policy on the scope or is exempted here with its reason; a test
-- (internal/store/rls_test.go) keeps the two lists and the schema in step.
--
-- Protected here: the audit log and what is read off it per municipality.
-- Privacy managers and auditors search their own municipalities' events,
-- alerts and sign-offs; the system's own work (sequencing, verifying,
-- pruning, the alert rules) reads every municipality with scope '*'. Rows
-- of no municipality (tenant_code '': logins, unknown database
-- connections) are read by a scope that lists '' (store.WithScope(ctx, "")
-- and its company) or '*'.

-- The events: read in scope, appended by any transaction. Every change
-- records its event in its own transaction, whatever its scope, and a
-- refusal is recorded even when it names a municipality the caller may
-- not see, so inserting is not narrowed (WITH CHECK true: the log must
-- take every event). What the policy guards is reading: one
-- municipality's events stay out of another's searches. The rows'
-- integrity is guarded by the append-only triggers and the signed tree.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON audit_events USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK (true);

-- The search index of the events: filled and pruned by the system ('*').
ALTER TABLE audit_search ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_search FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON audit_search USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

-- The privacy manager's sign-offs of a period (R-AUD-4).
ALTER TABLE audit_reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_reviews FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON audit_reviews USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

-- Alerts: a municipality's reviewers see its alerts and those of none.
ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON alerts USING ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]))
    WITH CHECK ((SELECT bango_scope_all()) OR tenant_code = ANY ((SELECT bango_scope_tenants())::text[]));

-- Exempted, each for its reason (the test's list says the same):
--
-- staff_users, staff_webauthn_credentials (seal_scope, always '' there),
-- staff_sessions: the accounts and sessions are the system's, not a
-- municipality's. A session is found by its token's hash and an account
-- by its login ID before any municipality is known (the login, every
-- request's session check); tenant_code is a home municipality or the
-- municipality a session works in now, an attribute checked against live
-- grants on every request, not an owner; union and IS staff have none.
-- Accounts are administered by the IS department across municipalities.
-- The secrets in these rows are hashes or sealed by the vault under the
-- system's keys. No resident data.
--
-- terminals: checked on every request, before login, by client address
-- and certificate, to decide whether the request may go on at all; only
-- the IS department registers them, for every municipality. No personal
-- data.
--
-- access_grants: the rights model itself, organised by person and
-- section rather than by municipality. Every request reads the user's
-- grants in every municipality to compute their rights, before any scope
-- is chosen; a section head manages their section's members' grants
-- wherever they hold; approvals are system-wide (grant.approve). The walls
-- are the rights checks and the table's three-person constraints. No
-- resident data.
--
-- vault_data_keys: each row is a data key wrapped (AES-GCM) by the master
-- key, which is kept outside the database, and bound to its municipality,
-- purpose and version by the wrapping's associated data; a row read gives
-- nothing without the key file. The vault alone reads them, caches every
-- municipality's keys in the process and seals each value bound to its
-- municipality, so a value does not open under another municipality's
-- binding whatever key is found; key rotation is system work over all.
