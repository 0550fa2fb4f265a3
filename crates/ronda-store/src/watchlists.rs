//! The patrol's watch lists (migration 0025): created from a validated
//! [`ronda_core::crawl::watchlist::WatchList`], listed, disabled, and the one setting an admin
//! alone may change — whether robots.txt is obeyed — switched. Every change is audited under
//! the person who made it, in the same transaction.

use ronda_core::crawl::watchlist::{Scope, WatchList};
use serde_json::json;

use crate::error::{Result, StoreError};
use crate::params;
use crate::store::Store;

/// A stored watch list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchListRow {
    pub id: i64,
    pub list: WatchList,
    pub enabled: bool,
    pub created_at: i64,
    pub created_by: String,
    pub last_run_at: Option<i64>,
    pub next_run_at: i64,
}

/// A watch list with its part of the frontier and what its crawl found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchListSummary {
    pub row: WatchListRow,
    /// URLs waiting, of them due now; held by a crawler; given up; fetched at least once.
    pub queued: i64,
    pub due: i64,
    pub in_flight: i64,
    pub given_up: i64,
    pub fetched: i64,
    /// Reports the crawl made, and when the last was found.
    pub findings: i64,
    pub last_finding_at: Option<i64>,
}

const COLUMNS: &str = "id, name, seeds_json, depth, scope, hosts_json, every_ms, ignore_robots, \
                       enabled, created_at, created_by, last_run_at, next_run_at, keywords_json";

fn decode_list(s: &str, column: usize) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(|e| StoreError::Decode {
        column,
        message: e.to_string(),
    })
}

fn from_row(r: &crate::db::Row) -> Result<WatchListRow> {
    let scope = r.string(4)?;
    Ok(WatchListRow {
        id: r.i64(0)?,
        list: WatchList {
            name: r.string(1)?,
            seeds: decode_list(r.str(2)?, 2)?,
            depth: u32::try_from(r.i64(3)?).unwrap_or(0),
            scope: Scope::parse(&scope).ok_or_else(|| StoreError::Decode {
                column: 4,
                message: format!("unknown scope `{scope}`"),
            })?,
            hosts: decode_list(r.str(5)?, 5)?,
            keywords: decode_list(r.str(13)?, 13)?,
            every_ms: r.i64(6)?,
            ignore_robots: r.i64(7)? != 0,
        },
        enabled: r.i64(8)? != 0,
        created_at: r.i64(9)?,
        created_by: r.string(10)?,
        last_run_at: r.opt_i64(11)?,
        next_run_at: r.i64(12)?,
    })
}

impl Store {
    /// Stores a validated watch list, due at once; its id. A name in use is a conflict.
    /// `ignore_robots` here must have been allowed by the caller (admins only); it is audited
    /// with the rest.
    pub async fn create_watchlist(&self, actor: String, list: WatchList) -> Result<i64> {
        self.write(1, move |tx| {
            if tx
                .conn()
                .query_opt(
                    "SELECT id FROM watchlists WHERE name = $1",
                    params![&list.name],
                )?
                .is_some()
            {
                return Err(StoreError::Conflict(format!(
                    "a watch list named `{}` exists",
                    list.name
                )));
            }
            let now = tx.now_ms();
            let seeds = json!(list.seeds).to_string();
            let hosts = json!(list.hosts).to_string();
            let keywords = json!(list.keywords).to_string();
            let id = tx.conn().insert_id(
                "INSERT INTO watchlists (name, seeds_json, depth, scope, hosts_json, every_ms, \
                 ignore_robots, enabled, created_at, created_by, next_run_at, keywords_json) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $8, $10) RETURNING id",
                params![
                    &list.name,
                    &seeds,
                    i64::from(list.depth),
                    list.scope.as_str(),
                    &hosts,
                    list.every_ms,
                    i64::from(list.ignore_robots),
                    now,
                    &actor,
                    &keywords
                ],
            )?;
            tx.audit(
                &actor,
                "watchlist.created",
                &format!("watchlist:{id}"),
                None,
                Some(
                    &json!({
                        "name": list.name, "seeds": list.seeds, "depth": list.depth,
                        "scope": list.scope.as_str(), "hosts": list.hosts,
                        "every_ms": list.every_ms, "ignore_robots": list.ignore_robots,
                        "keywords": list.keywords,
                    })
                    .to_string(),
                ),
            )?;
            Ok(id)
        })
        .await
    }

    /// Every watch list, oldest first.
    pub fn list_watchlists(&self) -> Result<Vec<WatchListRow>> {
        self.read(|c| {
            c.query(
                &format!("SELECT {COLUMNS} FROM watchlists ORDER BY id"),
                params![],
            )?
            .iter()
            .map(from_row)
            .collect()
        })
    }

    /// Every watch list (oldest first) with its frontier and findings at `now`.
    pub fn watchlist_summaries(&self, now: i64) -> Result<Vec<WatchListSummary>> {
        self.summaries(now, None)
    }

    /// One watch list with its frontier and findings at `now` (its rows alone are counted).
    pub fn watchlist_summary(&self, id: i64, now: i64) -> Result<Option<WatchListSummary>> {
        Ok(self.summaries(now, Some(id))?.pop())
    }

    fn summaries(&self, now: i64, only: Option<i64>) -> Result<Vec<WatchListSummary>> {
        let rows = match only {
            None => self.list_watchlists()?,
            Some(id) => self.get_watchlist(id)?.into_iter().collect(),
        };
        let only = only.unwrap_or(0);
        let (frontier, findings) = self.read(|c| {
            let f = c.query(
                "SELECT watchlist_id, \
                   COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0), \
                   COALESCE(SUM(CASE WHEN state = 'queued' AND due_at <= $1 THEN 1 ELSE 0 END), 0), \
                   COALESCE(SUM(CASE WHEN state = 'claimed' THEN 1 ELSE 0 END), 0), \
                   COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0), \
                   COALESCE(SUM(CASE WHEN last_status IS NOT NULL THEN 1 ELSE 0 END), 0) \
                 FROM crawl_frontier WHERE ($2 = 0 OR watchlist_id = $2) GROUP BY watchlist_id",
                params![now, only],
            )?;
            let g = c.query(
                "SELECT watchlist_id, COUNT(*), MAX(fetched_at) FROM content_captures \
                 WHERE watchlist_id IS NOT NULL AND ($1 = 0 OR watchlist_id = $1) GROUP BY watchlist_id",
                params![only],
            )?;
            Ok((f, g))
        })?;
        rows.into_iter()
            .map(|row| {
                let mut s = WatchListSummary {
                    row,
                    queued: 0,
                    due: 0,
                    in_flight: 0,
                    given_up: 0,
                    fetched: 0,
                    findings: 0,
                    last_finding_at: None,
                };
                for r in &frontier {
                    if r.i64(0)? == s.row.id {
                        (s.queued, s.due, s.in_flight, s.given_up, s.fetched) =
                            (r.i64(1)?, r.i64(2)?, r.i64(3)?, r.i64(4)?, r.i64(5)?);
                    }
                }
                for r in &findings {
                    if r.i64(0)? == s.row.id {
                        (s.findings, s.last_finding_at) = (r.i64(1)?, r.opt_i64(2)?);
                    }
                }
                Ok(s)
            })
            .collect()
    }

    pub fn get_watchlist(&self, id: i64) -> Result<Option<WatchListRow>> {
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {COLUMNS} FROM watchlists WHERE id = $1"),
                params![id],
            )?
            .as_ref()
            .map(from_row)
            .transpose()
        })
    }

    /// Enabled watch lists whose next round is due.
    pub fn due_watchlists(&self) -> Result<Vec<WatchListRow>> {
        let now = self.now_ms();
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM watchlists WHERE enabled = 1 AND next_run_at <= $1 ORDER BY id"
                ),
                params![now],
            )?
            .iter()
            .map(from_row)
            .collect()
        })
    }

    /// Starts a round of watch list `id`: its seeds join the frontier (or, already there and
    /// waiting for their recrawl, become due now), and the next round is one interval away.
    pub async fn start_watchlist_round(
        &self,
        id: i64,
        seeds: Vec<crate::frontier::NewUrl>,
    ) -> Result<()> {
        self.write(seeds.len().max(1), move |tx| {
            let now = tx.now_ms();
            for u in &seeds {
                tx.conn().execute(
                    "INSERT INTO crawl_frontier (watchlist_id, url, host, depth, state, due_at) \
                     VALUES ($1, $2, $3, 0, 'queued', $4) ON CONFLICT (watchlist_id, url) DO NOTHING",
                    params![id, &u.url, &u.host, now],
                )?;
                tx.conn().execute(
                    "UPDATE crawl_frontier SET due_at = $1 \
                     WHERE watchlist_id = $2 AND url = $3 AND state = 'queued' AND due_at > $1",
                    params![now, id, &u.url],
                )?;
            }
            tx.conn().execute(
                "UPDATE watchlists SET last_run_at = $1, next_run_at = $1 + every_ms WHERE id = $2",
                params![now, id],
            )?;
            Ok(())
        })
        .await
    }

    /// Moves watch list `id` on to its next round when its round due at `due_at` has not been
    /// started yet — the frontier is elsewhere (JetStream), and the caller has already put the
    /// seeds there. Whether this call started it (of crawlers racing for one round, one wins).
    pub async fn advance_watchlist_round(&self, id: i64, due_at: i64) -> Result<bool> {
        self.write(1, move |tx| {
            let now = tx.now_ms();
            let n = tx.conn().execute(
                "UPDATE watchlists SET last_run_at = $1, next_run_at = $1 + every_ms \
                 WHERE id = $2 AND next_run_at = $3",
                params![now, id, due_at],
            )?;
            Ok(n > 0)
        })
        .await
    }

    /// Enables or disables watch list `id`; whether it changed anything. Audited.
    pub async fn set_watchlist_enabled(
        &self,
        actor: String,
        id: i64,
        enabled: bool,
    ) -> Result<bool> {
        self.set_watchlist_flag(actor, id, "enabled", enabled).await
    }

    /// Switches robots.txt off (or back on) for watch list `id` — the caller checks that
    /// `actor` is an admin. Whether it changed anything. Audited.
    pub async fn set_watchlist_ignore_robots(
        &self,
        actor: String,
        id: i64,
        ignore: bool,
    ) -> Result<bool> {
        self.set_watchlist_flag(actor, id, "ignore_robots", ignore)
            .await
    }

    async fn set_watchlist_flag(
        &self,
        actor: String,
        id: i64,
        column: &'static str,
        value: bool,
    ) -> Result<bool> {
        self.write(1, move |tx| {
            let Some(row) = tx.conn().query_opt(
                &format!("SELECT {column} FROM watchlists WHERE id = $1"),
                params![id],
            )?
            else {
                return Err(StoreError::NotFound(format!("watch list {id}")));
            };
            let before = row.i64(0)? != 0;
            if before == value {
                return Ok(false);
            }
            tx.conn().execute(
                &format!("UPDATE watchlists SET {column} = $1 WHERE id = $2"),
                params![i64::from(value), id],
            )?;
            tx.audit(
                &actor,
                &format!("watchlist.{column}"),
                &format!("watchlist:{id}"),
                Some(&json!({ column: before }).to_string()),
                Some(&json!({ column: value }).to_string()),
            )?;
            Ok(true)
        })
        .await
    }
}
