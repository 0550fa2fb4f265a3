-- Verification queue: claims (leases) on cases, and analysts' decisions.
ALTER TABLE cases ADD COLUMN claimed_by BIGINT;          -- token id holding the lease
ALTER TABLE cases ADD COLUMN claim_expires_at BIGINT;
ALTER TABLE cases ADD COLUMN legal_basis TEXT;

CREATE TABLE decisions (
    id           INTEGER PRIMARY KEY,
    case_id      BIGINT  NOT NULL REFERENCES cases(id),
    decision     TEXT    NOT NULL,                       -- confirm | reject
    category     TEXT,
    legal_basis  TEXT,
    note         TEXT,
    decided_by   TEXT    NOT NULL,                       -- audit actor
    token_id     BIGINT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX decisions_case ON decisions (case_id);
CREATE INDEX cases_review_queue ON cases (priority, first_reported_at) WHERE status IN ('new', 'in_review');

-- Takedown notices to platforms, with their legal deadline and escalation rung.
CREATE TABLE notices (
    id               INTEGER PRIMARY KEY,
    case_id          BIGINT  NOT NULL REFERENCES cases(id),
    platform_id      BIGINT  NOT NULL REFERENCES platforms(id),
    status           TEXT    NOT NULL,   -- sent | acknowledged | removal_claimed | refused | disputed | still_online | removed | withdrawn
    category         TEXT    NOT NULL,
    legal_basis      TEXT    NOT NULL,
    urgent           BIGINT  NOT NULL,
    target_kind      TEXT    NOT NULL,
    target_value     TEXT    NOT NULL,
    evidence         TEXT    NOT NULL,   -- summary JSON: report counts, sources, first/last reported
    created_at       BIGINT  NOT NULL,
    deadline         BIGINT  NOT NULL,
    escalation_step  TEXT    NOT NULL,   -- none | warning_1 | warning_2 | warning_3 | blocking_recommended
    escalation_at    BIGINT,             -- when the current rung fell due
    response_action  TEXT,
    response_reason  TEXT,
    responded_at     BIGINT,
    closed_at        BIGINT
);
CREATE INDEX notices_platform ON notices (platform_id, id);
CREATE INDEX notices_case ON notices (case_id);
CREATE INDEX notices_open_deadline ON notices (deadline) WHERE closed_at IS NULL;
