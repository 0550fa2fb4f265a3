//! The patrol's own re-checks of claimed removals (migration 0027). A notice the platform
//! answered with "removed" is due at once; what the patrol found is applied through the same
//! transition as a person's re-check ([`Store::recheck_case`]: verified removal closes the
//! notice and takes an account down; still online goes back up the escalation ladder), and
//! this table remembers which answer was checked and when to look again:
//! - a verified removal: once more after a day (content back → the patrol reports it again,
//!   which reopens or links the case as any report does);
//! - unreachable: after an hour, at most [`MAX_UNREACHABLE`] times; then a person decides;
//! - a case that moved on before the check (closed or decided by a person): recorded as
//!   `left_to_people`, not applied — one odd row never stops the patrol.

use crate::error::{Result, StoreError};
use crate::notices::Recheck;
use crate::params;
use crate::store::Store;

/// Unreachable re-checks of one answer before the patrol stops trying.
pub const MAX_UNREACHABLE: i64 = 3;

/// A notice whose target the patrol should fetch now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecheckDue {
    pub notice_id: i64,
    pub case_id: i64,
    /// The platform's name (`michat`, `web`).
    pub platform: String,
    /// `url` or `account`.
    pub target_kind: String,
    pub target_value: String,
    /// `removal_claimed` (the first check of an answer) or `removed` (the look a day later).
    pub notice_status: String,
    pub responded_at: Option<i64>,
    /// Checks of this answer so far, and how many found the target unreachable.
    pub checks: i64,
    pub last_result: Option<String>,
}

/// What one re-check found, as the patrol records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Gone,
    StillThere,
    Unreachable,
    /// The target cannot be fetched (an account on a platform without a profile URL).
    NoUrl,
}

impl Store {
    /// Notices due for a re-check by the patrol at `now`, oldest first, at most `limit`.
    pub fn rechecks_due(&self, now: i64, limit: usize) -> Result<Vec<RecheckDue>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c| {
            c.query(
                "SELECT n.id, n.case_id, p.name, n.target_kind, n.target_value, n.status, \
                 n.responded_at, COALESCE(r.checks, 0), r.last_result \
                 FROM notices n JOIN platforms p ON p.id = n.platform_id \
                 LEFT JOIN patrol_rechecks r ON r.notice_id = n.id \
                 WHERE (n.status = 'removal_claimed' AND n.closed_at IS NULL \
                        AND (r.notice_id IS NULL OR r.responded_at IS NULL \
                             OR r.responded_at <> n.responded_at OR r.next_at <= $1)) \
                    OR (n.status = 'removed' AND r.next_at <= $1) \
                 ORDER BY n.id LIMIT $2",
                params![now, limit],
            )?
            .iter()
            .map(|r| {
                Ok(RecheckDue {
                    notice_id: r.i64(0)?,
                    case_id: r.i64(1)?,
                    platform: r.string(2)?,
                    target_kind: r.string(3)?,
                    target_value: r.string(4)?,
                    notice_status: r.string(5)?,
                    responded_at: r.opt_i64(6)?,
                    checks: r.i64(7)?,
                    last_result: r.opt_string(8)?,
                })
            })
            .collect()
        })
    }

    /// Records what the patrol's re-check of `due` found and, for the first check of an
    /// answer, applies it to the case under `actor` (see the module docs); all in one
    /// transaction, audited. `again_after_ms`: when a verified removal is looked at again.
    pub async fn record_patrol_recheck(
        &self,
        actor: String,
        due: RecheckDue,
        found: Found,
        again_after_ms: i64,
    ) -> Result<()> {
        self.write(1, move |tx| {
            let now = tx.now_ms();
            // The row belongs to one answer: a new answer starts counting afresh.
            let previous = tx
                .conn()
                .query_opt(
                    "SELECT responded_at, checks FROM patrol_rechecks WHERE notice_id = $1",
                    params![due.notice_id],
                )?
                .map(|r| Ok::<_, StoreError>((r.opt_i64(0)?, r.i64(1)?)))
                .transpose()?;
            let checks = match previous {
                Some((at, n)) if at == due.responded_at => n + 1,
                _ => 1,
            };
            let first = due.notice_status == "removal_claimed";
            // Whether the case's transition did the auditing (a person's re-check path).
            let mut applied = false;
            let (result, next_at) = match (first, found) {
                (true, Found::Gone | Found::StillThere) => {
                    let (r, label, next) = if found == Found::Gone {
                        (Recheck::Removed, "removed", Some(now + again_after_ms))
                    } else {
                        (Recheck::StillOnline, "still_online", None)
                    };
                    match crate::notices::recheck(tx, &actor, due.case_id, r) {
                        Ok(_) => {
                            applied = true;
                            (label, next)
                        }
                        // The case moved on meanwhile (a person closed or decided it): what
                        // the patrol saw is recorded, not applied, and the patrol goes on.
                        Err(StoreError::IllegalTransition(_)) => ("left_to_people", None),
                        Err(e) => return Err(e),
                    }
                }
                (_, Found::Unreachable) => {
                    let unreachable = if first { checks } else { MAX_UNREACHABLE };
                    (
                        "unreachable",
                        (unreachable < MAX_UNREACHABLE).then_some(now + 3_600_000),
                    )
                }
                (_, Found::NoUrl) => ("no_url", None),
                // The look a day later: the caller reports content that came back.
                (false, Found::Gone) => ("removed", None),
                (false, Found::StillThere) => ("back_online", None),
            };
            tx.conn().execute(
                "INSERT INTO patrol_rechecks (notice_id, responded_at, checks, last_at, last_result, next_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (notice_id) DO UPDATE SET responded_at = $2, checks = $3, last_at = $4, \
                 last_result = $5, next_at = $6",
                params![due.notice_id, due.responded_at, checks, now, result, next_at],
            )?;
            if !applied {
                tx.audit(
                    &actor,
                    "case.rechecked",
                    &format!("case:{}", due.case_id),
                    None,
                    Some(&serde_json::json!({"result": result, "by": "patrol"}).to_string()),
                )?;
            }
            Ok(())
        })
        .await
    }
}
