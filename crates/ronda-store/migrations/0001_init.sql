-- Ronda schema v1. Times are epoch milliseconds (UTC); booleans are 0/1.
-- Written once for both backends: `INTEGER PRIMARY KEY` becomes an identity key on PostgreSQL
-- (see migrate.rs); everything else runs unchanged on both.

CREATE TABLE platforms (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE actors (
    id            INTEGER PRIMARY KEY,
    merged_into   BIGINT  REFERENCES actors(id),
    created_at    BIGINT  NOT NULL
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    platform_id   BIGINT  NOT NULL REFERENCES platforms(id),
    handle        TEXT    NOT NULL,           -- normalised: lower case, no leading @
    status        TEXT    NOT NULL DEFAULT 'active',
    actor_id      BIGINT  REFERENCES actors(id),
    created_at    BIGINT  NOT NULL,
    UNIQUE (platform_id, handle)
);

CREATE TABLE cases (
    id                INTEGER PRIMARY KEY,
    target_kind       TEXT    NOT NULL,       -- account | url
    target_key        TEXT    NOT NULL,       -- dedup key, see ronda_core::target
    target_value      TEXT    NOT NULL,       -- normalised handle or URL
    platform_id       BIGINT  NOT NULL REFERENCES platforms(id),
    account_id        BIGINT  REFERENCES accounts(id),
    status            TEXT    NOT NULL,
    is_open           BIGINT  NOT NULL,
    category          TEXT,
    priority          BIGINT  NOT NULL,       -- 0 low, 1 normal, 2 high, 3 urgent
    reports_total     BIGINT  NOT NULL,
    reports_patrol    BIGINT  NOT NULL,
    reports_police    BIGINT  NOT NULL,
    reports_public    BIGINT  NOT NULL,
    reports_platform  BIGINT  NOT NULL,
    first_reported_at BIGINT  NOT NULL,
    last_reported_at  BIGINT  NOT NULL,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
-- The invariant "one open case per target", enforced by the database itself.
CREATE UNIQUE INDEX cases_open_target ON cases (target_key) WHERE is_open = 1;
CREATE INDEX cases_platform ON cases (platform_id, id);
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_queue ON cases (is_open, priority, id);

CREATE TABLE content_items (
    id            INTEGER PRIMARY KEY,
    platform_id   BIGINT  NOT NULL REFERENCES platforms(id),
    account_id    BIGINT  REFERENCES accounts(id),
    url           TEXT,
    external_id   TEXT,
    text          TEXT,
    media_json    TEXT,                        -- [{"pdq":…,"sha256":…}]
    captured_at   BIGINT  NOT NULL
);
CREATE INDEX content_items_account ON content_items (account_id);

CREATE TABLE reports (
    id               INTEGER PRIMARY KEY,
    case_id          BIGINT  NOT NULL REFERENCES cases(id),
    opened_case      BIGINT  NOT NULL,         -- 1 when this report created its case
    source           TEXT    NOT NULL,
    platform_id      BIGINT  NOT NULL REFERENCES platforms(id),
    target_raw       TEXT    NOT NULL,
    content_id       BIGINT  REFERENCES content_items(id),
    category         TEXT,
    description      TEXT,
    reporter_name    TEXT,                     -- confidential: never returned to platforms
    reporter_contact TEXT,                     -- confidential
    external_id      TEXT,
    tracking_code    TEXT,
    token_id         BIGINT,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX reports_case ON reports (case_id);
CREATE UNIQUE INDEX reports_external ON reports (source, platform_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX reports_tracking ON reports (tracking_code) WHERE tracking_code IS NOT NULL;

CREATE TABLE idempotency_keys (
    scope        TEXT    NOT NULL,              -- who sent it: token id
    key          TEXT    NOT NULL,
    report_id    BIGINT  NOT NULL REFERENCES reports(id),
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    platform_id  BIGINT  REFERENCES platforms(id),
    token_hash   TEXT    NOT NULL UNIQUE,       -- SHA-256 of the secret; the secret is never stored
    created_at   BIGINT  NOT NULL,
    revoked_at   BIGINT
);

CREATE TABLE audit_events (
    seq          INTEGER PRIMARY KEY,          -- 1, 2, 3, … without gaps (the rowid)
    at           BIGINT  NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL
);
CREATE INDEX audit_events_target ON audit_events (target);
