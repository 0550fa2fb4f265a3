-- Several instances deliver from one outbox: a row is claimed with a lease before it is sent
-- (`claimed_until`, `claim_token`), so each event goes out once in normal operation and again
-- only after an instance died holding it. `delivery_id` is the stable X-Ronda-Delivery header a
-- platform deduplicates on. `flagged_at`: the row cannot be sent (its webhook secret does not
-- unseal); it is skipped, never blocks the rest, and shows in the delivery log.
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
ALTER TABLE outbox ADD COLUMN claim_token TEXT;
ALTER TABLE outbox ADD COLUMN delivery_id TEXT;
ALTER TABLE outbox ADD COLUMN flagged_at BIGINT;
UPDATE outbox SET delivery_id = 'dlv_' || CAST(id AS TEXT) WHERE delivery_id IS NULL;
CREATE INDEX outbox_platform_due ON outbox (platform_id, next_attempt_at) WHERE delivered_at IS NULL;
-- The fingerprints of the keys every instance on this database must share (`seal`: the
-- secret key that seals reporter identities and webhook secrets).
CREATE TABLE key_fingerprints (
    purpose      TEXT    PRIMARY KEY,
    fingerprint  TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
