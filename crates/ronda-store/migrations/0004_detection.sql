-- Detection results on cases (the strongest seen so far) and the identifiers found in reports.
ALTER TABLE cases ADD COLUMN detect_verdict TEXT;
ALTER TABLE cases ADD COLUMN detect_category TEXT;
ALTER TABLE cases ADD COLUMN detect_score DOUBLE PRECISION;
ALTER TABLE cases ADD COLUMN detect_json TEXT;

CREATE TABLE case_identifiers (
    case_id     BIGINT  NOT NULL REFERENCES cases(id),
    kind        TEXT    NOT NULL,        -- phone | telegram | bank_account | ewallet | email | url
    value       TEXT    NOT NULL,        -- canonical: E.164, @handle, bank:digits, …
    first_seen  BIGINT  NOT NULL,
    PRIMARY KEY (case_id, kind, value)
);
CREATE INDEX case_identifiers_value ON case_identifiers (kind, value);
