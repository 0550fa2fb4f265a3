-- The patrol's evidence: the WARC file of the HTTP exchange behind a content snapshot (see
-- `ronda_core::warc`). Its SHA-256, URL, fetch time and size stay for good; the file itself
-- (column `warc`, added per backend: BLOB / BYTEA) is removed with the snapshot's text by
-- retention. `watchlist_id`: the watch list whose crawl found it (NULL for a re-check's).
CREATE TABLE content_captures (
    content_id    BIGINT  PRIMARY KEY REFERENCES content_items(id),
    sha256        TEXT    NOT NULL,
    url           TEXT    NOT NULL,
    fetched_at    BIGINT  NOT NULL,
    bytes         BIGINT  NOT NULL,
    watchlist_id  BIGINT  REFERENCES watchlists(id)
);
CREATE INDEX content_captures_watchlist ON content_captures (watchlist_id, fetched_at)
    WHERE watchlist_id IS NOT NULL;
