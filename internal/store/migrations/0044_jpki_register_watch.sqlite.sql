-- JPKI: the register's changes sent to the certification authority (issue
-- 22; internal/jpki). A signature certificate carries the basic four items
-- and the alias, and must be revoked when they change: as a municipality's
-- register system tells J-LIS of every change, the jpki module's job sends
-- the current items of every resident changed since `through` and the CA
-- revokes the signature certificates that no longer match. One row a
-- municipality: how far the register has been sent. No personal item.
CREATE TABLE jpki_register_watch (
    tenant_code TEXT PRIMARY KEY,
    through     {{time}} NOT NULL
);
