-- Access patterns (R-AC-2): named groups of permissions by affiliation and
-- job (所属・業務). scope 'tenant' patterns are granted for one
-- municipality; 'system' patterns (IS administration, audit) hold for all.
-- The permission names are a fixed catalogue in code (internal/access).
CREATE TABLE access_patterns (
    id          {{serial}},
    code        TEXT NOT NULL UNIQUE CHECK (code <> ''),
    name        TEXT NOT NULL CHECK (name <> ''),
    affiliation TEXT NOT NULL DEFAULT '',
    job         TEXT NOT NULL DEFAULT '',
    scope       TEXT NOT NULL CHECK (scope IN ('tenant', 'system')),
    builtin     {{bool}} NOT NULL DEFAULT FALSE,
    created_at  {{time}} NOT NULL,
    updated_at  {{time}} NOT NULL
);

CREATE TABLE access_pattern_permissions (
    pattern_id BIGINT NOT NULL REFERENCES access_patterns (id),
    permission TEXT NOT NULL CHECK (permission <> ''),
    PRIMARY KEY (pattern_id, permission)
);

-- Grants (R-AC-3): a section head applies for a pattern for a member of
-- their section; an IS administrator approves or rejects. Applicant,
-- approver and grantee are three different people (the checks below hold
-- even against direct SQL). A grant holds from valid_from until
-- valid_until (NULL: no end) unless revoked. applicant_id and decided_by
-- are NULL only for the bootstrap of the first administrator.
CREATE TABLE access_grants (
    id            {{serial}},
    user_id       BIGINT NOT NULL REFERENCES staff_users (id),
    pattern_id    BIGINT NOT NULL REFERENCES access_patterns (id),
    tenant_code   TEXT NOT NULL DEFAULT '',
    valid_from    {{time}} NOT NULL,
    valid_until   {{time}},
    reason        TEXT NOT NULL CHECK (reason <> ''),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn', 'revoked')),
    applicant_id  BIGINT REFERENCES staff_users (id),
    applied_at    {{time}} NOT NULL,
    decided_by    BIGINT REFERENCES staff_users (id),
    decided_at    {{time}},
    decision_note TEXT NOT NULL DEFAULT '',
    revoked_by    TEXT NOT NULL DEFAULT '',
    revoked_at    {{time}},
    revoke_reason TEXT NOT NULL DEFAULT '',
    CHECK (applicant_id IS NULL OR applicant_id <> user_id),
    CHECK (decided_by IS NULL OR (decided_by <> user_id AND decided_by <> applicant_id)),
    CHECK (valid_until IS NULL OR valid_until > valid_from)
);
CREATE INDEX access_grants_user ON access_grants (user_id, status);
CREATE INDEX access_grants_status ON access_grants (status, applied_at);

-- The municipality a session works in now. Union staff granted several
-- switch explicitly; every tenant-scoped request is checked against the
-- user's live grants for it.
ALTER TABLE staff_sessions ADD COLUMN tenant_code TEXT NOT NULL DEFAULT '';
