-- The patrol's watch lists: what it looks at (seed URLs: pages, sections, sitemaps, feeds,
-- public profiles), how deep, how far (`host`: the seeds' hosts; `listed`: those and
-- `hosts_json`), how often, and whether robots.txt is obeyed (an admin may switch it off,
-- audited). `next_run_at` is when the patrol starts the list's next round.
CREATE TABLE watchlists (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    seeds_json     TEXT    NOT NULL,
    depth          BIGINT  NOT NULL,
    scope          TEXT    NOT NULL,
    hosts_json     TEXT    NOT NULL,
    every_ms       BIGINT  NOT NULL,
    ignore_robots  BIGINT  NOT NULL DEFAULT 0,
    enabled        BIGINT  NOT NULL DEFAULT 1,
    created_at     BIGINT  NOT NULL,
    created_by     TEXT    NOT NULL,
    last_run_at    BIGINT,
    next_run_at    BIGINT  NOT NULL
);
