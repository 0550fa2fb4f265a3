-- The review queue read in its own order (urgent first, then by detection score, oldest
-- first) from one index instead of sorting every open case, and counted from one covering
-- index: the console lists and counts the queue on every page view.
DROP INDEX cases_review_queue;
CREATE INDEX cases_review_order ON cases (priority DESC, (COALESCE(detect_score, 0)) DESC, first_reported_at, id)
    WHERE status IN ('new', 'in_review');
CREATE INDEX cases_review_counts ON cases (status, platform_id, priority, child_safety, claimed_by, claim_expires_at)
    WHERE status IN ('new', 'in_review');
