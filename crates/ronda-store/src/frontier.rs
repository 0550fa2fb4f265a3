//! The patrol's frontier in the store (migration 0026), for the embedded default and for
//! several crawlers on one database.
//!
//! * **Seen-set**: a URL (canonical, see `ronda_core::crawl::url`) is in a watch list's frontier
//!   once — the unique key `(watchlist_id, url)`; adding it again does nothing.
//! * **Claims**: [`Store::claim_fetches`] hands out due URLs, **at most one per host at a time**
//!   and none of a host before its `next_at`, each with a lease; the host is marked in flight in
//!   the same write transaction, so two crawlers never hold two URLs of one host. A lease that
//!   ran out (a crawler died) is given back to the queue, and its host freed, by the next claim.
//! * **Results**: [`Store::finish_fetch`] records what the fetch gave (status, validators for the
//!   next conditional request, the content's digest), sets when the URL is due again (its
//!   recrawl interval, or a back-off), frees the host until the politeness delay the caller
//!   computed (`ronda_core::crawl::politeness`), and counts the host's failures in a row. Only
//!   the crawler holding the lease may finish it: a late answer after the lease ran out and the
//!   URL went to someone else is refused ([`StoreError::Conflict`]).

use crate::error::{Result, StoreError};
use crate::params;
use crate::store::Store;

/// A URL to add to a frontier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUrl {
    pub url: String,
    /// The politeness key (`ronda_core::crawl::url::host_key`).
    pub host: String,
    pub depth: u32,
}

/// A URL handed to a crawler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub watchlist_id: i64,
    pub url: String,
    pub host: String,
    pub depth: u32,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_sha256: Option<String>,
    pub attempts: i64,
}

/// What a fetch gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchOutcome {
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Why there was no usable answer (a `FetchError` code), if so.
    pub error: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_sha256: Option<String>,
    /// When the URL is due again; `None`: never (a permanent failure).
    pub due_at: Option<i64>,
    /// When its host may be asked again.
    pub host_next_at: i64,
    /// The fetch failed in a way that counts against the host (429, 5xx, no connection).
    pub host_failed: bool,
}

/// The frontier's state, for `ronda patrol status` and the console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontierCounts {
    pub queued: i64,
    pub due: i64,
    pub claimed: i64,
    pub failed: i64,
    pub hosts: i64,
    pub hosts_failing: i64,
}

/// One host as the frontier sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRow {
    pub host: String,
    /// Not asked again before this.
    pub next_at: i64,
    pub in_flight: bool,
    /// Failures in a row.
    pub failures: i64,
    /// Its URLs waiting.
    pub queued: i64,
}

/// A URL whose last fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontierError {
    pub watchlist_id: i64,
    pub url: String,
    /// `queued` (tried again later) or `failed` (given up).
    pub state: String,
    pub status: Option<i64>,
    /// The fetch's error code (`timeout`, `refused`, `robots`, `gave_up`, …).
    pub error: String,
    pub at: Option<i64>,
    pub attempts: i64,
}

impl Store {
    /// The hosts of the frontier, failing ones first, then by URLs waiting; at most `limit`.
    pub fn frontier_hosts(&self, limit: usize) -> Result<Vec<HostRow>> {
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        self.read(|c| {
            c.query(
                "SELECT h.host, h.next_at, h.in_flight, h.failures, \
                   (SELECT COUNT(*) FROM crawl_frontier f WHERE f.host = h.host AND f.state = 'queued') AS q \
                 FROM crawl_hosts h ORDER BY h.failures DESC, q DESC, h.host LIMIT $1",
                params![limit],
            )?
            .iter()
            .map(|r| {
                Ok(HostRow {
                    host: r.string(0)?,
                    next_at: r.i64(1)?,
                    in_flight: r.i64(2)? != 0,
                    failures: r.i64(3)?,
                    queued: r.i64(4)?,
                })
            })
            .collect()
        })
    }

    /// The latest failed fetches (robots.txt refusals included), newest first; of one watch
    /// list when given.
    pub fn frontier_errors(
        &self,
        watchlist_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<FrontierError>> {
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        self.read(|c| {
            c.query(
                "SELECT watchlist_id, url, state, last_status, last_error, fetched_at, attempts \
                 FROM crawl_frontier WHERE last_error IS NOT NULL AND ($1 = 0 OR watchlist_id = $1) \
                 ORDER BY fetched_at DESC, id DESC LIMIT $2",
                params![watchlist_id.unwrap_or(0), limit],
            )?
            .iter()
            .map(|r| {
                Ok(FrontierError {
                    watchlist_id: r.i64(0)?,
                    url: r.string(1)?,
                    state: r.string(2)?,
                    status: r.opt_i64(3)?,
                    error: r.string(4)?,
                    at: r.opt_i64(5)?,
                    attempts: r.i64(6)?,
                })
            })
            .collect()
        })
    }

    /// Adds URLs to watch list `watchlist_id`'s frontier, due at `due_at`; how many were new.
    pub async fn enqueue_urls(
        &self,
        watchlist_id: i64,
        urls: Vec<NewUrl>,
        due_at: i64,
    ) -> Result<u64> {
        self.write(urls.len().max(1), move |tx| {
            let mut added = 0;
            for u in &urls {
                added += tx.conn().execute(
                    "INSERT INTO crawl_frontier (watchlist_id, url, host, depth, state, due_at) \
                     VALUES ($1, $2, $3, $4, 'queued', $5) ON CONFLICT (watchlist_id, url) DO NOTHING",
                    params![watchlist_id, &u.url, &u.host, i64::from(u.depth), due_at],
                )?;
            }
            Ok(added)
        })
        .await
    }

    /// Up to `limit` due URLs for crawler `worker`, one per host, held for `lease_ms`.
    pub async fn claim_fetches(
        &self,
        worker: String,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>> {
        self.write(1, move |tx| {
            let now = tx.now_ms();
            // Leases that ran out go back to the queue and free their hosts.
            let expired = tx.conn().query(
                "SELECT id, host FROM crawl_frontier WHERE state = 'claimed' AND lease_until < $1",
                params![now],
            )?;
            for r in &expired {
                tx.conn().execute(
                    "UPDATE crawl_frontier SET state = 'queued', claimed_by = NULL, lease_until = NULL \
                     WHERE id = $1",
                    params![r.i64(0)?],
                )?;
                tx.conn().execute(
                    "UPDATE crawl_hosts SET in_flight = 0 WHERE host = $1",
                    params![r.str(1)?],
                )?;
            }
            let want = i64::try_from(limit.saturating_mul(8).max(8)).unwrap_or(i64::MAX);
            let rows = tx.conn().query(
                "SELECT f.id, f.watchlist_id, f.url, f.host, f.depth, f.etag, f.last_modified, \
                        f.content_sha256, f.attempts \
                 FROM crawl_frontier f \
                 JOIN watchlists w ON w.id = f.watchlist_id AND w.enabled = 1 \
                 LEFT JOIN crawl_hosts h ON h.host = f.host \
                 WHERE f.state = 'queued' AND f.due_at <= $1 \
                   AND (h.host IS NULL OR (h.in_flight = 0 AND h.next_at <= $1)) \
                 ORDER BY f.due_at, f.id LIMIT $2",
                params![now, want],
            )?;
            let mut out: Vec<Claimed> = Vec::new();
            for r in &rows {
                if out.len() >= limit {
                    break;
                }
                let host = r.string(3)?;
                if out.iter().any(|c| c.host == host) {
                    continue;
                }
                out.push(Claimed {
                    id: r.i64(0)?,
                    watchlist_id: r.i64(1)?,
                    url: r.string(2)?,
                    host,
                    depth: u32::try_from(r.i64(4)?).unwrap_or(0),
                    etag: r.opt_str(5)?.map(str::to_string),
                    last_modified: r.opt_str(6)?.map(str::to_string),
                    content_sha256: r.opt_str(7)?.map(str::to_string),
                    attempts: r.i64(8)?,
                });
            }
            for c in &out {
                tx.conn().execute(
                    "UPDATE crawl_frontier SET state = 'claimed', claimed_by = $1, lease_until = $2 \
                     WHERE id = $3",
                    params![&worker, now + lease_ms, c.id],
                )?;
                tx.conn().execute(
                    "INSERT INTO crawl_hosts (host, next_at, in_flight, failures) VALUES ($1, $2, 1, 0) \
                     ON CONFLICT (host) DO UPDATE SET in_flight = 1",
                    params![&c.host, now],
                )?;
            }
            Ok(out)
        })
        .await
    }

    /// Records the fetch of claimed URL `id` by `worker` (see the module docs).
    pub async fn finish_fetch(&self, worker: String, id: i64, outcome: FetchOutcome) -> Result<()> {
        self.write(1, move |tx| {
            let now = tx.now_ms();
            let Some(row) = tx.conn().query_opt(
                "SELECT host, state, claimed_by FROM crawl_frontier WHERE id = $1",
                params![id],
            )?
            else {
                return Err(StoreError::NotFound(format!("frontier URL {id}")));
            };
            let host = row.string(0)?;
            if row.str(1)? != "claimed" || row.opt_str(2)? != Some(worker.as_str()) {
                return Err(StoreError::Conflict(format!(
                    "frontier URL {id} is not held by {worker} (its lease ran out)"
                )));
            }
            let (state, due) = match outcome.due_at {
                Some(d) => ("queued", d),
                None => ("failed", now),
            };
            let status = outcome.status.map(i64::from);
            tx.conn().execute(
                "UPDATE crawl_frontier SET state = $1, due_at = $2, claimed_by = NULL, lease_until = NULL, \
                 attempts = CASE WHEN $3 = 1 THEN attempts + 1 ELSE 0 END, \
                 etag = COALESCE($4, etag), last_modified = COALESCE($5, last_modified), \
                 content_sha256 = COALESCE($6, content_sha256), last_status = $7, last_error = $8, \
                 fetched_at = $9 WHERE id = $10",
                params![
                    state,
                    due,
                    i64::from(outcome.error.is_some() || outcome.host_failed),
                    outcome.etag.as_deref(),
                    outcome.last_modified.as_deref(),
                    outcome.content_sha256.as_deref(),
                    status,
                    outcome.error.as_deref(),
                    now,
                    id
                ],
            )?;
            tx.conn().execute(
                "UPDATE crawl_hosts SET in_flight = 0, next_at = $1, \
                 failures = CASE WHEN $2 = 1 THEN failures + 1 ELSE 0 END WHERE host = $3",
                params![outcome.host_next_at, i64::from(outcome.host_failed), &host],
            )?;
            Ok(())
        })
        .await
    }

    /// The earliest time a queued URL of an enabled watch list, due by `until`, can be
    /// claimed: the later of its due time and its host's `next_at` (never before `now`);
    /// `None` when nothing is due by then.
    pub fn next_claimable_at(&self, now: i64, until: i64) -> Result<Option<i64>> {
        self.read(|c| {
            let r = c.query_one(
                "SELECT MIN(CASE WHEN COALESCE(h.next_at, 0) > f.due_at THEN h.next_at ELSE f.due_at END) \
                 FROM crawl_frontier f \
                 JOIN watchlists w ON w.id = f.watchlist_id AND w.enabled = 1 \
                 LEFT JOIN crawl_hosts h ON h.host = f.host \
                 WHERE f.state = 'queued' AND f.due_at <= $1",
                params![until],
            )?;
            Ok(r.opt_i64(0)?.map(|t| t.max(now)))
        })
    }

    /// URLs held by a crawler now (by the state index; the loop asks this while it waits).
    pub fn frontier_in_flight(&self) -> Result<i64> {
        self.read(|c| {
            c.query_one(
                "SELECT COUNT(*) FROM crawl_frontier WHERE state = 'claimed'",
                params![],
            )?
            .i64(0)
        })
    }

    /// A host's failures in a row (0 for a host never asked).
    pub fn host_failures(&self, host: &str) -> Result<i64> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT failures FROM crawl_hosts WHERE host = $1",
                params![host],
            )?
            .map(|r| r.i64(0))
            .transpose()?
            .unwrap_or(0))
        })
    }

    /// How the frontier stands at `now`.
    pub fn frontier_counts(&self, now: i64) -> Result<FrontierCounts> {
        self.read(|c| {
            // Counted on the (state, due_at) index alone, never the rows: a frontier of
            // millions of URLs is counted by scanning its index.
            let mut by_state = [0i64; 3];
            for r in c.query(
                "SELECT state, COUNT(*) FROM crawl_frontier GROUP BY state",
                params![],
            )? {
                let i = match r.str(0)? {
                    "queued" => 0,
                    "claimed" => 1,
                    _ => 2,
                };
                by_state[i] += r.i64(1)?;
            }
            let due = c
                .query_one(
                    "SELECT COUNT(*) FROM crawl_frontier WHERE state = 'queued' AND due_at <= $1",
                    params![now],
                )?
                .i64(0)?;
            let h = c.query_one(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN failures > 0 THEN 1 ELSE 0 END), 0) FROM crawl_hosts",
                params![],
            )?;
            Ok(FrontierCounts {
                queued: by_state[0],
                due,
                claimed: by_state[1],
                failed: by_state[2],
                hosts: h.i64(0)?,
                hosts_failing: h.i64(1)?,
            })
        })
    }
}
