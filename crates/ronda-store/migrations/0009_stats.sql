-- Statistics (issue 7): each family of figures is counted at its own event time, so a window
-- reads only its own rows.
CREATE INDEX cases_created ON cases (created_at);
CREATE INDEX decisions_created ON decisions (created_at);
CREATE INDEX notices_created ON notices (created_at);
CREATE INDEX notices_deadline ON notices (deadline);
-- Verified removals by time, covering what the per-platform share and percentiles read.
CREATE INDEX notices_removed ON notices (closed_at, platform_id, created_at, deadline) WHERE status = 'removed';
CREATE INDEX notices_refused ON notices (responded_at) WHERE response_action = 'refused';
