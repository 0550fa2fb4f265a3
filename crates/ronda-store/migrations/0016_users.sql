-- People who sign in to the console with a password (API tokens stay as they are). The name is
-- the sign-in name, lower case; a platform user belongs to one platform, a police user to one
-- unit. The password is kept as its Argon2id PHC string only. `password_must_change`: the
-- password was generated (shown once by `ronda user create` or `reset-password`) and is to be
-- replaced at the first sign-in. A disabled user signs in no more; users are never deleted (the
-- audit log names them).
CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT    NOT NULL UNIQUE,
    role                  TEXT    NOT NULL,
    platform_id           BIGINT  REFERENCES platforms(id),
    unit                  TEXT,
    password_hash         TEXT    NOT NULL,
    password_must_change  INTEGER NOT NULL DEFAULT 0,
    password_changed_at   BIGINT  NOT NULL,
    created_at            BIGINT  NOT NULL,
    disabled_at           BIGINT
);
