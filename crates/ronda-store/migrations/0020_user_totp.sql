-- The optional second factor of console users: a TOTP secret (sealed like reporter contacts)
-- and the last time step a code was accepted for (a code never signs in twice).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
