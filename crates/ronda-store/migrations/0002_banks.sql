-- Ronda schema v2: hash banks, media of content items, media matches on cases.

CREATE TABLE hash_banks (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    category      TEXT    NOT NULL,          -- child_abuse_known | ncii | solicitation_photos | allowlist | other snake_case
    enabled       BIGINT  NOT NULL DEFAULT 1,
    threshold     BIGINT  NOT NULL DEFAULT 31, -- Hamming distance, inclusive
    min_quality   BIGINT  NOT NULL DEFAULT 50, -- queries of lower known PDQ quality are not matched
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

-- Append-only: ids grow, so a process can load a bank incrementally (id > last loaded).
CREATE TABLE bank_hashes (
    id            INTEGER PRIMARY KEY,
    bank_id       BIGINT  NOT NULL REFERENCES hash_banks(id),
    pdq           TEXT    NOT NULL,          -- 64 lower-case hex digits
    quality       BIGINT,
    label         TEXT,
    added_at      BIGINT  NOT NULL,
    UNIQUE (bank_id, pdq)
);

-- One row, bumped by every bank write: in-memory matchers compare it before matching.
CREATE TABLE bank_state (
    id            BIGINT  PRIMARY KEY,
    version       BIGINT  NOT NULL
);
INSERT INTO bank_state (id, version) VALUES (1, 0);

-- The media of content items, queryable (retroactive matching scans the PDQ column).
CREATE TABLE content_media (
    id            INTEGER PRIMARY KEY,
    content_id    BIGINT  NOT NULL REFERENCES content_items(id),
    case_id       BIGINT  NOT NULL REFERENCES cases(id),
    pdq           TEXT,
    quality       BIGINT,
    sha256        TEXT
);
CREATE INDEX content_media_content ON content_media (content_id);
CREATE INDEX content_media_sha256 ON content_media (sha256) WHERE sha256 IS NOT NULL;

CREATE TABLE media_matches (
    id            INTEGER PRIMARY KEY,
    case_id       BIGINT  NOT NULL REFERENCES cases(id),
    content_id    BIGINT  NOT NULL REFERENCES content_items(id),
    pdq           TEXT    NOT NULL,          -- the media's hash
    bank_id       BIGINT  NOT NULL REFERENCES hash_banks(id),
    bank_hash_id  BIGINT  NOT NULL REFERENCES bank_hashes(id),
    distance      BIGINT  NOT NULL,
    matched_at    BIGINT  NOT NULL,
    UNIQUE (case_id, content_id, bank_hash_id)
);
CREATE INDEX media_matches_case ON media_matches (case_id);
