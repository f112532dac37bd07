-- A TOTP secret being enrolled by its user at first login: shown once as a
-- QR code, kept sealed here until the user proves their app has it.
ALTER TABLE staff_users ADD COLUMN totp_pending_sealed {{bytes}};
ALTER TABLE staff_users ADD COLUMN totp_pending_key_version INTEGER;
