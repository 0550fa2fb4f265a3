-- Police referrals of a case or an actor, and the bookkeeping of retention.
-- (Version 7 is the linking work; this file does not depend on it, and the runner applies
-- every missing version, so 7 may land after 8.)

CREATE TABLE referrals (
    id              INTEGER PRIMARY KEY,
    case_id         BIGINT  REFERENCES cases(id),
    actor_id        BIGINT  REFERENCES actors(id),
    request_number  TEXT    NOT NULL,        -- the formal request number (nomor surat)
    status          TEXT    NOT NULL,        -- sent | acknowledged | investigating | closed
    note            TEXT,
    created_by      TEXT    NOT NULL,        -- audit actor
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    closed_at       BIGINT,
    -- exactly one subject: a case or an actor
    CHECK ((case_id IS NULL AND actor_id IS NOT NULL) OR (case_id IS NOT NULL AND actor_id IS NULL))
);
CREATE UNIQUE INDEX referrals_request_number ON referrals (request_number);
CREATE INDEX referrals_case ON referrals (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX referrals_actor ON referrals (actor_id) WHERE actor_id IS NOT NULL;

-- Retention: when a closed case's content snapshot and its reporters' identities were removed.
ALTER TABLE content_items ADD COLUMN purged_at BIGINT;
ALTER TABLE reports ADD COLUMN reporter_purged_at BIGINT;
CREATE INDEX reports_content ON reports (content_id) WHERE content_id IS NOT NULL;
