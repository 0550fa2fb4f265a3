-- Console sessions, kept in the store so that any instance can serve them. The cookie holds a
-- random secret; only its SHA-256 is stored. A session ends at sign-out (`ended_at`), when its
-- user is disabled or their password reset, after `idle` without use (`last_seen_at`) and at
-- `expires_at` however active. `csrf_token` is the session's anti-forgery token, put in every
-- form it renders and required on every form post.
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT    NOT NULL UNIQUE,
    user_id       BIGINT  NOT NULL REFERENCES users(id),
    csrf_token    TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    ended_at      BIGINT
);
CREATE INDEX sessions_by_user ON sessions (user_id);
