-- SQLite cannot drop a table constraint: the accounts table is rebuilt without
-- UNIQUE (platform_id, handle), with the handle key (foreign keys are not enforced on this
-- backend, and references to `accounts` by name stay valid after the rename).
CREATE TABLE accounts_rebuilt (
    id            INTEGER PRIMARY KEY,
    platform_id   BIGINT  NOT NULL REFERENCES platforms(id),
    handle        TEXT    NOT NULL,           -- as first written (lower case, no leading @)
    status        TEXT    NOT NULL DEFAULT 'active',
    actor_id      BIGINT  REFERENCES actors(id),
    created_at    BIGINT  NOT NULL,
    display_name  TEXT,
    bio           TEXT,
    avatar_pdq    TEXT,
    name_key      TEXT,
    shingles      TEXT,
    signature     TEXT,
    taken_down_at BIGINT,
    handle_key    TEXT
);
INSERT INTO accounts_rebuilt (id, platform_id, handle, status, actor_id, created_at, display_name, bio,
    avatar_pdq, name_key, shingles, signature, taken_down_at)
    SELECT id, platform_id, handle, status, actor_id, created_at, display_name, bio,
    avatar_pdq, name_key, shingles, signature, taken_down_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_rebuilt RENAME TO accounts;
CREATE INDEX accounts_actor ON accounts (actor_id);
CREATE INDEX accounts_handle_key ON accounts (platform_id, handle_key);
