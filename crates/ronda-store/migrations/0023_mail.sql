-- Mail, when a relay is configured (`[mail]`): reporters who left an e-mail address hear when
-- their report was verified and when its story ended; a platform with a notice address hears
-- of each new notice. The mail worker follows the audit log from `mail_cursor` (the last event
-- it read) and queues what the events call for in `mail_outbox`, at most one message of each
-- kind per report or notice; rows are claimed with a lease like the webhook outbox. No address
-- is copied here: a reporter's stays sealed in `reports`, a platform's is in `platforms`, and
-- both are read when the message is sent (so retention's removal of a contact stops its mail).
ALTER TABLE platforms ADD COLUMN notice_email TEXT;

CREATE TABLE mail_cursor (
    id        BIGINT  PRIMARY KEY,   -- always 1
    last_seq  BIGINT  NOT NULL       -- the last audit event read
);

CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,   -- report.verified | report.completed | notice.sent
    ref_id           BIGINT  NOT NULL,   -- the report (report.*) or the notice (notice.sent)
    stage            TEXT,               -- report.*: the public stage reached
    event_seq        BIGINT  NOT NULL,   -- the audit event that called for it
    event_at         BIGINT  NOT NULL,
    created_at       BIGINT  NOT NULL,
    attempts         BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    claimed_until    BIGINT,
    claim_token      TEXT,
    sent_at          BIGINT,
    dropped_at       BIGINT,             -- given up: a permanent refusal, too many attempts, no address
    last_error       TEXT,
    UNIQUE (kind, ref_id)
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND dropped_at IS NULL;
