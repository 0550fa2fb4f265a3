-- Account linking (issue 5): what each account shows, the keys it is indexed under, the evidence
-- edges between accounts, hubs, and the actors' merge log. Linking decisions are ronda-link's;
-- this schema only keeps its inputs and results so that each new account is linked with indexed
-- look-ups, never a scan.

ALTER TABLE accounts ADD COLUMN display_name TEXT;
ALTER TABLE accounts ADD COLUMN bio TEXT;
ALTER TABLE accounts ADD COLUMN avatar_pdq TEXT;           -- 64 hex digits
ALTER TABLE accounts ADD COLUMN name_key TEXT;             -- ronda-link's display-name key
ALTER TABLE accounts ADD COLUMN shingles TEXT;             -- text shingles: sorted 64-bit hashes, 16 hex digits each
ALTER TABLE accounts ADD COLUMN signature TEXT;            -- MinHash signature of the shingles, 8 hex digits per value
ALTER TABLE accounts ADD COLUMN taken_down_at BIGINT;      -- set when a removal of its case was verified
CREATE INDEX accounts_actor ON accounts (actor_id);

-- Every key an account is found under: strong identifiers (phone, bank, ewallet, telegram,
-- email) and weak candidate keys (text LSH bands `lsh`, display-name keys `name`).
CREATE TABLE account_keys (
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id),
    PRIMARY KEY (kind, value, account_id)
);
CREATE INDEX account_keys_account ON account_keys (account_id);

-- In how many accounts each text shingle occurs; above the generic limit it no longer counts.
CREATE TABLE shingle_counts (
    hash      BIGINT  PRIMARY KEY,
    accounts  BIGINT  NOT NULL
);

-- Identifiers shared by implausibly many accounts (a hotline, a support number): ignored, reported.
CREATE TABLE link_hubs (
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    first_seen  BIGINT  NOT NULL,
    PRIMARY KEY (kind, value)
);

-- Evidence edges: `account_id` was linked to `other_id` by `signal` (`value` = what they share).
CREATE TABLE account_links (
    id          INTEGER PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id),
    other_id    BIGINT  NOT NULL REFERENCES accounts(id),
    signal      TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE UNIQUE INDEX account_links_edge ON account_links (account_id, other_id, signal, value);
CREATE INDEX account_links_other ON account_links (other_id);

-- When two actors turn out to be one, the older id survives; the younger is kept with merged_into.
CREATE TABLE actor_merges (
    id          INTEGER PRIMARY KEY,
    survivor    BIGINT  NOT NULL REFERENCES actors(id),
    merged      BIGINT  NOT NULL REFERENCES actors(id),
    account_id  BIGINT  NOT NULL,                          -- the account whose link caused it
    at          BIGINT  NOT NULL
);
CREATE INDEX actor_merges_survivor ON actor_merges (survivor);

-- A case on an account that re-creates a taken-down one: flag, and what it re-creates.
ALTER TABLE cases ADD COLUMN recreation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN recreation_json TEXT;         -- {"recreation_of": [...], "earlier_cases": [...], "evidence": [...]}
CREATE INDEX cases_account ON cases (account_id);
