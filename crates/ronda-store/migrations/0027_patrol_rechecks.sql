-- The patrol's own re-checks of removals a platform claimed: one row per notice, for the
-- answer it was made for (`responded_at`: a new "removed" answer is checked afresh), with the
-- next check when there is one (a verified removal is looked at again a day later; an
-- unreachable target after an hour, a few times).
CREATE TABLE patrol_rechecks (
    notice_id     BIGINT  PRIMARY KEY REFERENCES notices(id),
    responded_at  BIGINT,
    checks        BIGINT  NOT NULL,
    last_at       BIGINT  NOT NULL,
    last_result   TEXT    NOT NULL,   -- removed | still_online | unreachable | back_online | no_url | left_to_people
    next_at       BIGINT
);
CREATE INDEX patrol_rechecks_next ON patrol_rechecks (next_at) WHERE next_at IS NOT NULL;
