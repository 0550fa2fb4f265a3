-- Content seen again after a verified removal opens a case linked to the removed one.
ALTER TABLE cases ADD COLUMN previous_case_id BIGINT REFERENCES cases(id);
CREATE INDEX cases_removed_target ON cases (target_key) WHERE status = 'removed';
