-- Statistics (issue 7): time to removal per platform, in order. The median and p90 per platform
-- are read as "the k-th smallest in the window" straight off this index (an ordered index scan
-- with LIMIT 1 OFFSET k - 1), instead of sorting every removal of the window. `created_at` is
-- stored too, so PostgreSQL can answer from the index alone (an index-only scan needs every
-- column the expression reads).
CREATE INDEX notices_removal_time ON notices (platform_id, (closed_at - created_at), closed_at, created_at) WHERE status = 'removed';
-- Overdue notices (deadline inside the window, still open at its end) read from the index alone.
DROP INDEX notices_deadline;
CREATE INDEX notices_deadline_cover ON notices (deadline, closed_at, platform_id, category);
