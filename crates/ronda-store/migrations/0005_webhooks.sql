-- Webhooks: one URL per platform, a durable outbox of events, and the log of every attempt.
CREATE TABLE webhooks (
    platform_id  BIGINT  PRIMARY KEY REFERENCES platforms(id),
    url          TEXT    NOT NULL,
    secret       TEXT    NOT NULL,       -- sealed (see seal.rs); needed in clear to sign
    created_at   BIGINT  NOT NULL
);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    platform_id      BIGINT  NOT NULL REFERENCES platforms(id),
    event            TEXT    NOT NULL,   -- notice.sent | notice.escalated
    payload          TEXT    NOT NULL,   -- the JSON body, byte for byte what is signed and sent
    created_at       BIGINT  NOT NULL,
    attempts         BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    delivered_at     BIGINT,
    last_error       TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL;

CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    outbox_id   BIGINT  NOT NULL REFERENCES outbox(id),
    attempt     BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    status      BIGINT,                  -- HTTP status, when one came back
    error       TEXT
);
CREATE INDEX webhook_deliveries_outbox ON webhook_deliveries (outbox_id);
