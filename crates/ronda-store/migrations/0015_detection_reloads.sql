-- Reloads of the detection rules and model, one row each: every instance watches the newest id
-- and re-reads its configured files when it moves, so a reload on one instance reaches all.
CREATE TABLE detection_reloads (
    id            INTEGER PRIMARY KEY,
    requested_at  BIGINT  NOT NULL,
    actor         TEXT    NOT NULL
);
