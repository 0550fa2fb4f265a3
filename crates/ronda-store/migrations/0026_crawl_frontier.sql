-- The patrol's frontier in the embedded store: every URL a watch list reached (the seen-set is
-- the unique key), when it is due again, who holds it; and per host the politeness state every
-- crawler shares (one request in flight, not before `next_at`, failures in a row).
CREATE TABLE crawl_frontier (
    id             INTEGER PRIMARY KEY,
    watchlist_id   BIGINT  NOT NULL REFERENCES watchlists(id),
    url            TEXT    NOT NULL,
    host           TEXT    NOT NULL,
    depth          BIGINT  NOT NULL,
    state          TEXT    NOT NULL,      -- queued | claimed | failed
    due_at         BIGINT  NOT NULL,
    claimed_by     TEXT,
    lease_until    BIGINT,
    attempts       BIGINT  NOT NULL DEFAULT 0,
    etag           TEXT,
    last_modified  TEXT,
    content_sha256 TEXT,
    last_status    BIGINT,
    last_error     TEXT,
    fetched_at     BIGINT,
    UNIQUE (watchlist_id, url)
);
CREATE INDEX crawl_frontier_due ON crawl_frontier (state, due_at);

CREATE TABLE crawl_hosts (
    host       TEXT    PRIMARY KEY,
    next_at    BIGINT  NOT NULL,
    in_flight  BIGINT  NOT NULL DEFAULT 0,
    failures   BIGINT  NOT NULL DEFAULT 0
);
