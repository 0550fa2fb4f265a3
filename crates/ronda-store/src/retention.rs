//! Retention: removing what a closed case no longer needs.
//!
//! A case is closed when it no longer takes reports (`rejected`, `removed`, `closed`:
//! `is_open = 0`), and closed since its last change (`updated_at`). Once it has been closed
//! longer than the configured days:
//! - its content snapshots lose their text and media (the `content_items` row, its capture
//!   time and URL stay; media hashes in `content_media` are cleared too, so the content is no
//!   longer matched retroactively, and the patrol's WARC capture of the page is removed, its
//!   SHA-256 and fetch time kept) — `content_days`;
//! - its reports lose the reporter's name and contact — `reporter_contact_days`.
//!
//! Everything else stays: cases, counts, decisions, notices, identifiers, hash matches and the
//! audit log, so statistics do not change. A case in a referral that is not closed (directly
//! or through its actor) is on legal hold and keeps everything. Each case touched gets an
//! audit event (`retention.applied` on `case:N`, so its evidence bundle shows it) and each run
//! one summary event (`retention.run`).

use serde_json::json;

use crate::error::Result;
use crate::params;
use crate::store::{Store, Tx};

const DAY_MS: i64 = 86_400_000;
/// Cases handled per write transaction.
const CHUNK: i64 = 500;

/// How long closed cases keep what retention removes; `None` keeps it for ever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub content_days: Option<u32>,
    pub reporter_contact_days: Option<u32>,
}

/// What a run removed (or, dry, would remove).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionOutcome {
    pub cases: u64,
    pub content_items: u64,
    pub reporters: u64,
}

fn cutoff(now: i64, days: Option<u32>) -> i64 {
    // No limit: a cutoff no case's time is at or before.
    days.map_or(i64::MIN, |d| now - i64::from(d) * DAY_MS)
}

/// A case on legal hold: in a referral that is not closed, directly or through its actor.
const NOT_ON_HOLD: &str = "NOT EXISTS (SELECT 1 FROM referrals f WHERE f.closed_at IS NULL AND (f.case_id = c.id \
     OR f.actor_id IN (SELECT a.actor_id FROM accounts a WHERE a.id = c.account_id) \
     OR f.actor_id IN (SELECT t.merged_into FROM accounts a JOIN actors t ON t.id = a.actor_id WHERE a.id = c.account_id)))";

const CONTENT_DUE: &str = "c.updated_at <= $1 AND EXISTS (SELECT 1 FROM reports r JOIN content_items ci ON ci.id = r.content_id \
     WHERE r.case_id = c.id AND ci.purged_at IS NULL)";

const REPORTERS_DUE: &str = "c.updated_at <= $2 AND EXISTS (SELECT 1 FROM reports r WHERE r.case_id = c.id \
     AND r.reporter_purged_at IS NULL AND (r.reporter_name IS NOT NULL OR r.reporter_contact IS NOT NULL))";

fn due_cases(tx: &mut Tx<'_>, content_cut: i64, reporter_cut: i64) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT c.id FROM cases c WHERE c.is_open = 0 AND ({CONTENT_DUE} OR {REPORTERS_DUE}) AND {NOT_ON_HOLD} \
         ORDER BY c.id LIMIT $3"
    );
    tx.conn()
        .query(&sql, params![content_cut, reporter_cut, CHUNK])?
        .iter()
        .map(|r| r.i64(0))
        .collect()
}

/// One chunk: applies retention to up to [`CHUNK`] due cases; returns what it removed.
fn apply_chunk(
    tx: &mut Tx<'_>,
    actor: &str,
    content_cut: i64,
    reporter_cut: i64,
) -> Result<RetentionOutcome> {
    let now = tx.now_ms();
    let mut out = RetentionOutcome::default();
    for case_id in due_cases(tx, content_cut, reporter_cut)? {
        // Media hashes first, while the snapshots still say they are not purged.
        tx.conn().execute(
            "UPDATE content_media SET pdq = NULL, quality = NULL, sha256 = NULL WHERE content_id IN \
             (SELECT ci.id FROM content_items ci JOIN reports r ON r.content_id = ci.id JOIN cases c ON c.id = r.case_id \
              WHERE r.case_id = $1 AND c.updated_at <= $2 AND ci.purged_at IS NULL)",
            params![case_id, content_cut],
        )?;
        // Captures (the pages as fetched) go with the text they hold; their digests stay.
        tx.conn().execute(
            "UPDATE content_captures SET warc = NULL WHERE warc IS NOT NULL AND content_id IN \
             (SELECT ci.id FROM content_items ci JOIN reports r ON r.content_id = ci.id JOIN cases c ON c.id = r.case_id \
              WHERE r.case_id = $1 AND c.updated_at <= $2 AND ci.purged_at IS NULL)",
            params![case_id, content_cut],
        )?;
        let content = tx.conn().execute(
            "UPDATE content_items SET text = NULL, media_json = NULL, purged_at = $3 WHERE purged_at IS NULL AND id IN \
             (SELECT r.content_id FROM reports r JOIN cases c ON c.id = r.case_id WHERE r.case_id = $1 AND c.updated_at <= $2)",
            params![case_id, content_cut, now],
        )?;
        let reporters = tx.conn().execute(
            "UPDATE reports SET reporter_name = NULL, reporter_contact = NULL, reporter_purged_at = $3 \
             WHERE case_id = $1 AND reporter_purged_at IS NULL AND (reporter_name IS NOT NULL OR reporter_contact IS NOT NULL) \
             AND (SELECT c.updated_at FROM cases c WHERE c.id = $1) <= $2",
            params![case_id, reporter_cut, now],
        )?;
        tx.audit(
            actor,
            "retention.applied",
            &format!("case:{case_id}"),
            None,
            Some(
                &json!({"content_items_removed": content, "reporter_identities_removed": reporters})
                    .to_string(),
            ),
        )?;
        out.cases += 1;
        out.content_items += content;
        out.reporters += reporters;
    }
    Ok(out)
}

/// What a run at `now` would remove, without removing it.
fn count_due(
    conn: &mut dyn crate::db::Conn,
    content_cut: i64,
    reporter_cut: i64,
) -> Result<RetentionOutcome> {
    let row = conn.query_one(
        &format!(
            "SELECT \
             (SELECT COUNT(*) FROM cases c WHERE c.is_open = 0 AND ({CONTENT_DUE} OR {REPORTERS_DUE}) AND {NOT_ON_HOLD}), \
             (SELECT COUNT(DISTINCT ci.id) FROM content_items ci JOIN reports r ON r.content_id = ci.id \
              JOIN cases c ON c.id = r.case_id WHERE c.is_open = 0 AND c.updated_at <= $1 AND ci.purged_at IS NULL AND {NOT_ON_HOLD}), \
             (SELECT COUNT(*) FROM reports r JOIN cases c ON c.id = r.case_id WHERE c.is_open = 0 AND c.updated_at <= $2 \
              AND r.reporter_purged_at IS NULL AND (r.reporter_name IS NOT NULL OR r.reporter_contact IS NOT NULL) AND {NOT_ON_HOLD})"
        ),
        params![content_cut, reporter_cut],
    )?;
    let n = |i| r64(row.i64(i));
    Ok(RetentionOutcome {
        cases: n(0)?,
        content_items: n(1)?,
        reporters: n(2)?,
    })
}

fn r64(v: Result<i64>) -> Result<u64> {
    v.map(|x| u64::try_from(x).unwrap_or(0))
}

impl Store {
    /// Applies `policy` at `now` (or, `dry_run`, only counts what it would remove). Runs in
    /// chunks of cases, each its own transaction; ends with one `retention.run` audit event.
    pub fn run_retention_blocking(
        &self,
        actor: &str,
        policy: RetentionPolicy,
        now: i64,
        dry_run: bool,
    ) -> Result<RetentionOutcome> {
        let content_cut = cutoff(now, policy.content_days);
        let reporter_cut = cutoff(now, policy.reporter_contact_days);
        if dry_run {
            return self.read(|c| count_due(c, content_cut, reporter_cut));
        }
        let mut total = RetentionOutcome::default();
        loop {
            let a = actor.to_string();
            let chunk = self.write_blocking(CHUNK as usize, move |tx| {
                apply_chunk(tx, &a, content_cut, reporter_cut)
            })?;
            total.cases += chunk.cases;
            total.content_items += chunk.content_items;
            total.reporters += chunk.reporters;
            if chunk.cases == 0 {
                break;
            }
        }
        let after = json!({
            "content_days": policy.content_days, "reporter_contact_days": policy.reporter_contact_days,
            "at": ronda_core::clock::to_rfc3339(now),
            "cases": total.cases, "content_items_removed": total.content_items,
            "reporter_identities_removed": total.reporters,
        })
        .to_string();
        let a = actor.to_string();
        self.write_blocking(1, move |tx| {
            tx.audit(&a, "retention.run", "retention", None, Some(&after))
        })?;
        Ok(total)
    }
}
