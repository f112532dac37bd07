-- Export and copy approval (R-AC-5): a request (what, why, format,
-- whether My Numbers are included) is approved by a privacy manager of
-- the municipality; the approved file is downloadable once, within 24
-- hours, by the requester. The requester never approves their own.
CREATE TABLE export_requests (
    id               {{serial}},
    tenant_code      TEXT NOT NULL CHECK (tenant_code <> ''),
    kind             TEXT NOT NULL CHECK (kind <> ''),
    format           TEXT NOT NULL CHECK (format IN ('csv')),
    reason           TEXT NOT NULL CHECK (reason <> ''),
    include_mynumber {{bool}} NOT NULL DEFAULT FALSE,
    requester_id     BIGINT NOT NULL REFERENCES staff_users (id),
    requested_at     {{time}} NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'downloaded', 'expired')),
    approver_id      BIGINT REFERENCES staff_users (id),
    decided_at       {{time}},
    note             TEXT NOT NULL DEFAULT '',
    expires_at       {{time}},
    downloaded_at    {{time}},
    rows_exported    INTEGER NOT NULL DEFAULT 0,
    CHECK (approver_id IS NULL OR approver_id <> requester_id)
);
CREATE INDEX export_requests_tenant ON export_requests (tenant_code, status);
