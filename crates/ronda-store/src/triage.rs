//! A case's triage state as stored: `priority` (rank), `category`, `child_safety`. The rules
//! that compute it are pure and live in [`ronda_core::triage`]; every writer of a case's
//! priority or category reads the state here, applies the rule and writes it back here.

use ronda_core::clock::to_rfc3339;
use ronda_core::model::{Category, Priority};
use ronda_core::triage::{ChildSafety, Triage};
use serde_json::{Value, json};

use crate::Tx;
use crate::cases::{priority_from_rank, priority_rank};
use crate::db::Row;
use crate::error::Result;
use crate::params;

/// The triage of a case row, from its three stored columns (an unknown spelling reads as
/// none: the column is only written from the enums).
pub(crate) fn from_columns(rank: i64, category: Option<&str>, child: Option<&str>) -> Triage {
    Triage {
        priority: priority_from_rank(rank),
        category: category.and_then(|c| c.parse::<Category>().ok()),
        child: child.and_then(ChildSafety::parse),
    }
}

/// Reads the triage columns at `at`, `at + 1`, `at + 2` of a row (priority, category,
/// child_safety).
pub(crate) fn from_row(row: &Row, at: usize) -> Result<Triage> {
    Ok(from_columns(
        row.i64(at)?,
        row.opt_str(at + 1)?,
        row.opt_str(at + 2)?,
    ))
}

/// A case's triage state.
pub(crate) fn load(tx: &mut Tx<'_>, case_id: i64) -> Result<Triage> {
    let row = tx.conn().query_one(
        "SELECT priority, category, child_safety FROM cases WHERE id = $1",
        params![case_id],
    )?;
    from_row(&row, 0)
}

/// Writes a case's triage state (and `updated_at`).
pub(crate) fn save(tx: &mut Tx<'_>, case_id: i64, t: &Triage) -> Result<()> {
    let now = tx.now_ms();
    tx.conn().execute(
        "UPDATE cases SET priority = $2, category = $3, child_safety = $4, updated_at = $5 WHERE id = $1",
        params![
            case_id,
            priority_rank(t.priority),
            t.category.map(|c| c.as_str()),
            t.child.map(|c| c.as_str()),
            now
        ],
    )?;
    Ok(())
}

/// The triage state as the audit log and the API show it.
pub(crate) fn to_json(t: &Triage) -> Value {
    json!({
        "priority": t.priority,
        "category": t.category,
        "child_safety": t.child.map(|c| c.as_str()),
    })
}

/// After a case's triage went from `old` to `new`: a case that has just become urgent (a
/// child-safety sign after its notice went out) makes its open notice urgent too. The
/// deadline comes forward to the urgent one counted from now, never later than it was; the
/// change is audited and told to the platform (webhook `notice.urgent`).
pub(crate) fn notice_follows(
    tx: &mut Tx<'_>,
    actor: &str,
    case_id: i64,
    old: &Triage,
    new: &Triage,
) -> Result<()> {
    if new.priority != Priority::Urgent || old.priority == Priority::Urgent {
        return Ok(());
    }
    let Some(row) = tx.conn().query_opt(
        "SELECT id, deadline, platform_id FROM notices WHERE case_id = $1 AND closed_at IS NULL AND urgent = 0 \
         ORDER BY id DESC LIMIT 1",
        params![case_id],
    )?
    else {
        return Ok(());
    };
    let (id, deadline, platform_id) = (row.i64(0)?, row.i64(1)?, row.i64(2)?);
    let now = tx.now_ms();
    let urgent_deadline = tx.deadline_policy().deadline(now, true).min(deadline);
    tx.conn().execute(
        "UPDATE notices SET urgent = 1, deadline = $2 WHERE id = $1",
        params![id, urgent_deadline],
    )?;
    tx.audit(
        actor,
        "notice.made_urgent",
        &format!("notice:{id}"),
        Some(&json!({"urgent": false, "deadline": deadline}).to_string()),
        Some(
            &json!({"urgent": true, "deadline": urgent_deadline,
                "child_safety": new.child.map(|c| c.as_str())})
            .to_string(),
        ),
    )?;
    let payload = json!({"notice_id": id, "case_id": case_id, "urgent": true,
        "deadline": to_rfc3339(urgent_deadline)});
    crate::webhooks::enqueue(tx, platform_id, "notice.urgent", &payload)
}
