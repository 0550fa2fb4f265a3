-- Detection models trained from the team's decisions (`ronda train --from-store --register`),
-- kept in the store rather than in the binary so that every instance can load the one in use.
-- `body` is the model file, base64 (one type on both backends); `training_json` says what it
-- learnt from, `metrics_json` how it scored on its hold-out and the held-out sets.
CREATE TABLE detection_models (
    id             INTEGER PRIMARY KEY,
    created_at     BIGINT  NOT NULL,
    created_by     TEXT    NOT NULL,
    sha256         TEXT    NOT NULL,
    size           BIGINT  NOT NULL,
    body           TEXT    NOT NULL,
    training_json  TEXT    NOT NULL,
    metrics_json   TEXT    NOT NULL
);

-- Which model is in use, as a history: an activation pushes a model (NULL: the configured or
-- built-in one), a rollback pops back to the one before. The newest row's effect is current.
CREATE TABLE detection_activations (
    id        INTEGER PRIMARY KEY,
    model_id  BIGINT  REFERENCES detection_models(id),
    kind      TEXT    NOT NULL,      -- activate | rollback
    at        BIGINT  NOT NULL,
    actor     TEXT    NOT NULL
);

-- The model in the shadow, if any: it scores every report beside the one in use, without
-- affecting it (its reading is kept in the report's detection JSON as `shadow`).
CREATE TABLE detection_shadow (
    id        BIGINT  PRIMARY KEY,   -- always 1
    model_id  BIGINT  NOT NULL REFERENCES detection_models(id),
    since     BIGINT  NOT NULL,
    actor     TEXT    NOT NULL
);
