-- Sign-in throttling per user: failed attempts since the last success or lock-out, and the time
-- until which the account refuses every password after too many of them.
ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
