-- The first enrolment of a second factor needs a second person (issue
-- 15): when an IS administrator sets a one-time password (new account or
-- reset), credential_set_by names them, and the user's enrolment needs an
-- activation code that someone else — the section head who may apply for
-- the user's rights — issues and hands over. Only the code's hash is kept.
ALTER TABLE staff_users ADD COLUMN credential_set_by BIGINT;
ALTER TABLE staff_users ADD COLUMN activation_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE staff_users ADD COLUMN activation_expires_at {{time}};
ALTER TABLE staff_users ADD COLUMN activation_by BIGINT;
