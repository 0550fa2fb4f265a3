//! Takedown notices: sent when a case is confirmed, answered by the platform, verified by a
//! re-check, and escalated along the ladder when the legal deadline passes.
//!
//! Notice statuses: `sent → acknowledged`; the platform answers `removed` (`removal_claimed`),
//! `refused` or `disputed`; a re-check turns a claim into `removed` (closed) or `still_online`.
//! The ladder climbs while a notice is `sent`, `acknowledged`, `refused` or `still_online`, and
//! pauses while a removal is claimed or a dispute is open.

use ronda_core::clock::to_rfc3339;
use ronda_core::model::{CaseStatus, Category, Priority};
use ronda_core::workflow::{Action, DeadlinePolicy, EscalationStep, transition};
use serde_json::json;

use crate::cases::priority_from_rank;
use crate::db::{Conn, Row};
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// A notice as platforms and staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeView {
    pub id: i64,
    pub case_id: i64,
    pub platform: String,
    pub status: String,
    pub category: String,
    pub legal_basis: String,
    pub urgent: bool,
    pub target_kind: String,
    pub target_value: String,
    pub evidence: String,
    pub created_at: i64,
    pub deadline: i64,
    pub escalation_step: String,
    pub escalation_at: Option<i64>,
    pub response_action: Option<String>,
    pub response_reason: Option<String>,
    pub responded_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// How the ministry resolved a dispute (`upheld`, `withdrawn`), why and when.
    pub dispute: Option<(String, String, i64)>,
}

const NOTICE_COLUMNS: &str = "n.id, n.case_id, p.name, n.status, n.category, n.legal_basis, n.urgent, \
     n.target_kind, n.target_value, n.evidence, n.created_at, n.deadline, n.escalation_step, n.escalation_at, \
     n.response_action, n.response_reason, n.responded_at, n.closed_at, \
     n.dispute_resolution, n.dispute_reason, n.dispute_resolved_at";

fn notice_from_row(r: &Row) -> Result<NoticeView> {
    Ok(NoticeView {
        id: r.i64(0)?,
        case_id: r.i64(1)?,
        platform: r.string(2)?,
        status: r.string(3)?,
        category: r.string(4)?,
        legal_basis: r.string(5)?,
        urgent: r.i64(6)? != 0,
        target_kind: r.string(7)?,
        target_value: r.string(8)?,
        evidence: r.string(9)?,
        created_at: r.i64(10)?,
        deadline: r.i64(11)?,
        escalation_step: r.string(12)?,
        escalation_at: r.opt_i64(13)?,
        response_action: r.opt_string(14)?,
        response_reason: r.opt_string(15)?,
        responded_at: r.opt_i64(16)?,
        closed_at: r.opt_i64(17)?,
        dispute: match (r.opt_string(18)?, r.opt_string(19)?, r.opt_i64(20)?) {
            (Some(resolution), Some(reason), Some(at)) => Some((resolution, reason, at)),
            _ => None,
        },
    })
}

fn get(conn: &mut dyn Conn, id: i64) -> Result<Option<NoticeView>> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM notices n JOIN platforms p ON p.id = n.platform_id WHERE n.id = $1"
    );
    conn.query_opt(&sql, params![id])?
        .map(|r| notice_from_row(&r))
        .transpose()
}

/// Notices, newest first, optionally for one platform and in one status.
pub fn list(
    conn: &mut dyn Conn,
    platform: Option<&str>,
    status: Option<&str>,
    limit: usize,
) -> Result<Vec<NoticeView>> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM notices n JOIN platforms p ON p.id = n.platform_id \
         WHERE ($1 = '' OR p.name = $1) AND ($2 = '' OR n.status = $2) ORDER BY n.id DESC LIMIT $3"
    );
    let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
    conn.query(
        &sql,
        params![platform.unwrap_or(""), status.unwrap_or(""), limit],
    )?
    .iter()
    .map(notice_from_row)
    .collect()
}

fn set_case_status(
    tx: &mut Tx<'_>,
    actor: &str,
    case_id: i64,
    from: CaseStatus,
    to: CaseStatus,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let now = tx.now_ms();
    tx.conn().execute(
        "UPDATE cases SET status = $2, is_open = $3, updated_at = $4 WHERE id = $1",
        params![case_id, to.as_str(), to.is_open(), now],
    )?;
    tx.audit(
        actor,
        "case.status",
        &format!("case:{case_id}"),
        Some(&json!({"status": from}).to_string()),
        Some(&json!({"status": to}).to_string()),
    )?;
    Ok(())
}

fn case_status(tx: &mut Tx<'_>, case_id: i64) -> Result<CaseStatus> {
    tx.conn()
        .query_opt("SELECT status FROM cases WHERE id = $1", params![case_id])?
        .ok_or_else(|| StoreError::NotFound(format!("case {case_id}")))?
        .parse(0)
}

/// Issues the notice for a just-confirmed case and moves the case to `notice_sent`.
pub(crate) fn send(
    tx: &mut Tx<'_>,
    actor: &str,
    case_id: i64,
    policy: &DeadlinePolicy,
) -> Result<i64> {
    let row = tx
        .conn()
        .query_opt(
            "SELECT status, platform_id, category, legal_basis, priority, target_kind, target_value, \
             reports_total, reports_patrol, reports_police, reports_public, reports_platform, first_reported_at, last_reported_at \
             FROM cases WHERE id = $1",
            params![case_id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("case {case_id}")))?;
    let status: CaseStatus = row.parse(0)?;
    let next = transition(status, Action::SendNotice)?;
    let category_text = row.opt_string(2)?.unwrap_or_default();
    let category: Option<Category> = category_text.parse().ok();
    let legal_basis = row.opt_string(3)?.unwrap_or_default();
    let urgent = policy.is_urgent(
        category,
        priority_from_rank(row.i64(4)?) == Priority::Urgent,
    );
    let now = tx.now_ms();
    let deadline = policy.deadline(now, urgent);
    let platform_id = row.i64(1)?;
    let (kind, value) = (row.string(5)?, row.string(6)?);
    let content = content_summary(tx, case_id, &kind, &value)?;
    let evidence = json!({
        "reports": {"total": row.i64(7)?, "patrol": row.i64(8)?, "police": row.i64(9)?,
                    "public": row.i64(10)?, "platform": row.i64(11)?},
        "first_reported_at": to_rfc3339(row.i64(12)?), "last_reported_at": to_rfc3339(row.i64(13)?),
        "content": content,
    })
    .to_string();
    let id = tx.conn().insert_id(
        "INSERT INTO notices (case_id, platform_id, status, category, legal_basis, urgent, target_kind, target_value, \
         evidence, created_at, deadline, escalation_step) \
         VALUES ($1, $2, 'sent', $3, $4, $5, $6, $7, $8, $9, $10, 'none') RETURNING id",
        params![case_id, platform_id, &category_text, &legal_basis, urgent, &kind, &value, &evidence, now, deadline],
    )?;
    let after = json!({"case_id": case_id, "deadline": deadline, "urgent": urgent, "legal_basis": legal_basis}).to_string();
    tx.audit(
        actor,
        "notice.sent",
        &format!("notice:{id}"),
        None,
        Some(&after),
    )?;
    let payload = json!({"notice_id": id, "case_id": case_id, "category": category_text,
        "legal_basis": legal_basis, "urgent": urgent, "target": {kind.clone(): value},
        "created_at": to_rfc3339(now), "deadline": to_rfc3339(deadline)});
    crate::webhooks::enqueue(tx, platform_id, "notice.sent", &payload)?;
    set_case_status(tx, actor, case_id, status, next)?;
    Ok(id)
}

/// What a notice tells the platform about the content, so that it can find and judge it
/// without the ministry's case file: the URLs where it was seen (the target, when a URL, and
/// every captured content URL) and the start of the content's own text, at most
/// [`crate::cases::EXCERPT_CHARS`] characters. Only content as captured (what was public on the
/// platform) is shown; reporters' descriptions and identities never are.
fn content_summary(
    tx: &mut Tx<'_>,
    case_id: i64,
    target_kind: &str,
    target_value: &str,
) -> Result<serde_json::Value> {
    let rows = tx.conn().query(
        "SELECT ci.url, ci.text FROM reports r JOIN content_items ci ON ci.id = r.content_id \
         WHERE r.case_id = $1 AND ci.purged_at IS NULL ORDER BY r.id DESC LIMIT 50",
        params![case_id],
    )?;
    let mut urls: Vec<String> = Vec::new();
    if target_kind == "url" {
        urls.push(target_value.to_string());
    }
    let mut excerpt = None;
    for r in &rows {
        if let Some(u) = r.opt_string(0)?
            && !urls.contains(&u)
            && urls.len() < 10
        {
            urls.push(u);
        }
        if excerpt.is_none()
            && let Some(t) = r.opt_str(1)?
        {
            excerpt = Some(crate::cases::excerpt(t, crate::cases::EXCERPT_CHARS));
        }
    }
    Ok(json!({"urls": urls, "excerpt": excerpt}))
}

/// How the ministry resolves a platform's dispute of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The order stands: the notice is open again and its ladder resumes (the deadline moves
    /// on by the time the dispute was open).
    Uphold,
    /// The notice is withdrawn and the case closed.
    Withdraw,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Uphold => "uphold",
            Resolution::Withdraw => "withdraw",
        }
    }
}

/// What resolving a dispute did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub case_id: i64,
    pub status: CaseStatus,
    pub notice: NoticeView,
}

fn resolve_dispute(
    tx: &mut Tx<'_>,
    actor: &str,
    case_id: i64,
    resolution: Resolution,
    reason: &str,
) -> Result<Resolved> {
    let from = case_status(tx, case_id)?;
    let to = transition(
        from,
        match resolution {
            Resolution::Uphold => Action::Uphold,
            Resolution::Withdraw => Action::Withdraw,
        },
    )?;
    let notice = tx
        .conn()
        .query_opt(
            "SELECT id FROM notices WHERE case_id = $1 AND status = 'disputed' AND closed_at IS NULL \
             ORDER BY id DESC LIMIT 1",
            params![case_id],
        )?
        .ok_or_else(|| StoreError::Conflict(format!("case {case_id} has no disputed notice")))?
        .i64(0)?;
    let before =
        get(tx.conn(), notice)?.ok_or_else(|| StoreError::NotFound(format!("notice {notice}")))?;
    let now = tx.now_ms();
    // The ladder paused while the dispute was open; upheld, it resumes where it stood: the
    // deadline and the last rung's time move on by the time spent in dispute, so a dispute
    // neither costs the platform time nor buys it a fresh deadline.
    let paused = before
        .responded_at
        .map_or(0, |at| now.saturating_sub(at).max(0));
    let (status, resolution_text, deadline, shift, closed_at) = match resolution {
        Resolution::Uphold => (
            "sent",
            "upheld",
            before.deadline.saturating_add(paused),
            paused,
            None,
        ),
        Resolution::Withdraw => ("withdrawn", "withdrawn", before.deadline, 0, Some(now)),
    };
    // The platform's earlier answer is history now (kept in the audit log): it may answer the
    // upheld notice afresh.
    tx.conn().execute(
        "UPDATE notices SET status = $2, deadline = $3, closed_at = $4, response_action = NULL, \
         response_reason = NULL, responded_at = NULL, dispute_resolution = $5, dispute_reason = $6, \
         dispute_resolved_at = $7, escalation_at = escalation_at + $8 WHERE id = $1",
        params![
            notice,
            status,
            deadline,
            closed_at,
            resolution_text,
            reason,
            now,
            shift
        ],
    )?;
    tx.audit(
        actor,
        match resolution {
            Resolution::Uphold => "notice.upheld",
            Resolution::Withdraw => "notice.withdrawn",
        },
        &format!("notice:{notice}"),
        Some(
            &json!({"status": before.status, "deadline": before.deadline,
                "dispute": before.response_reason})
            .to_string(),
        ),
        Some(&json!({"status": status, "deadline": deadline, "reason": reason}).to_string()),
    )?;
    set_case_status(tx, actor, case_id, from, to)?;
    let platform_id = tx
        .conn()
        .query_one(
            "SELECT platform_id FROM notices WHERE id = $1",
            params![notice],
        )?
        .i64(0)?;
    let payload = json!({"notice_id": notice, "case_id": case_id, "resolution": resolution_text,
        "reason": reason, "status": status, "deadline": to_rfc3339(deadline),
        "resolved_at": to_rfc3339(now)});
    crate::webhooks::enqueue(
        tx,
        platform_id,
        match resolution {
            Resolution::Uphold => "notice.upheld",
            Resolution::Withdraw => "notice.withdrawn",
        },
        &payload,
    )?;
    let notice =
        get(tx.conn(), notice)?.ok_or_else(|| StoreError::NotFound(format!("notice {notice}")))?;
    Ok(Resolved {
        case_id,
        status: to,
        notice,
    })
}

/// A platform's answer to a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Received and being handled (the case moves to `acknowledged`).
    Acknowledged,
    Removed,
    Refused,
    Disputed,
}

impl Response {
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Acknowledged => "acknowledged",
            Response::Removed => "removed",
            Response::Refused => "refused",
            Response::Disputed => "disputed",
        }
    }
}

fn respond(
    tx: &mut Tx<'_>,
    actor: &str,
    platform: Option<&str>,
    id: i64,
    action: Response,
    reason: Option<&str>,
) -> Result<NoticeView> {
    let n = get(tx.conn(), id)?
        .filter(|n| platform.is_none_or(|p| p == n.platform))
        .ok_or_else(|| StoreError::NotFound(format!("notice {id}")))?;
    // The same answer twice is one answer: idempotent.
    if n.response_action.as_deref() == Some(action.as_str())
        && n.response_reason.as_deref() == reason
    {
        return Ok(n);
    }
    if n.closed_at.is_some() {
        return Err(StoreError::Conflict(format!(
            "notice {id} is closed ({})",
            n.status
        )));
    }
    let from = case_status(tx, n.case_id)?;
    let (case_to, notice_status) = match action {
        Response::Acknowledged => (transition(from, Action::Acknowledge)?, "acknowledged"),
        Response::Removed => (transition(from, Action::ClaimRemoval)?, "removal_claimed"),
        Response::Disputed => (transition(from, Action::Dispute)?, "disputed"),
        Response::Refused => (
            transition(from, Action::Escalate).unwrap_or(from),
            "refused",
        ),
    };
    let now = tx.now_ms();
    tx.conn().execute(
        "UPDATE notices SET status = $2, response_action = $3, response_reason = $4, responded_at = $5 WHERE id = $1",
        params![id, notice_status, action.as_str(), reason, now],
    )?;
    tx.audit(
        actor,
        "notice.answered",
        &format!("notice:{id}"),
        Some(&json!({"status": n.status, "response": n.response_action}).to_string()),
        Some(
            &json!({"status": notice_status, "response": action.as_str(), "reason": reason})
                .to_string(),
        ),
    )?;
    set_case_status(tx, actor, n.case_id, from, case_to)?;
    get(tx.conn(), id)?.ok_or_else(|| StoreError::NotFound(format!("notice {id}")))
}

/// What a re-check of the content found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recheck {
    Removed,
    StillOnline,
    Unreachable,
}

pub(crate) fn recheck(
    tx: &mut Tx<'_>,
    actor: &str,
    case_id: i64,
    result: Recheck,
) -> Result<CaseStatus> {
    let from = case_status(tx, case_id)?;
    let notice = tx
        .conn()
        .query_opt(
            "SELECT id FROM notices WHERE case_id = $1 AND closed_at IS NULL ORDER BY id DESC LIMIT 1",
            params![case_id],
        )?
        .map(|r| r.i64(0))
        .transpose()?;
    let now = tx.now_ms();
    let (to, notice_status) = match result {
        Recheck::Removed => (transition(from, Action::VerifyRemoved)?, Some("removed")),
        Recheck::StillOnline => (
            transition(from, Action::FindStillOnline)?,
            Some("still_online"),
        ),
        Recheck::Unreachable => (from, None),
    };
    let label = match result {
        Recheck::Removed => "removed",
        Recheck::StillOnline => "still_online",
        Recheck::Unreachable => "unreachable",
    };
    tx.audit(
        actor,
        "case.rechecked",
        &format!("case:{case_id}"),
        None,
        Some(&json!({"result": label}).to_string()),
    )?;
    if let (Some(nid), Some(ns)) = (notice, notice_status) {
        let closed = (result == Recheck::Removed).then_some(now);
        tx.conn().execute(
            "UPDATE notices SET status = $2, closed_at = $3 WHERE id = $1",
            params![nid, ns, closed],
        )?;
        tx.audit(
            actor,
            "notice.verified",
            &format!("notice:{nid}"),
            None,
            Some(&json!({"status": ns}).to_string()),
        )?;
    }
    set_case_status(tx, actor, case_id, from, to)?;
    if result == Recheck::Removed {
        // A verified removal of an account's case takes the account down: from now on an
        // account linked to it is a re-creation.
        let account = tx
            .conn()
            .query_one(
                "SELECT account_id FROM cases WHERE id = $1",
                params![case_id],
            )?
            .opt_i64(0)?;
        if let Some(account_id) = account {
            crate::actors::take_down(tx, account_id, actor)?;
        }
    }
    Ok(to)
}

/// One escalation rung applied to a notice (or, in a dry run, that would be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalated {
    pub notice_id: i64,
    pub case_id: i64,
    /// The rung before this one.
    pub from: EscalationStep,
    pub step: EscalationStep,
    pub due_at: i64,
}

fn parse_step(s: &str) -> EscalationStep {
    match s {
        "warning_1" => EscalationStep::Warning1,
        "warning_2" => EscalationStep::Warning2,
        "warning_3" => EscalationStep::Warning3,
        "blocking_recommended" => EscalationStep::BlockingRecommended,
        _ => EscalationStep::None,
    }
}

/// Every rung due at `now` on every overdue notice, in order (deadline, notice, rung), each
/// with the time it fell due; reads only. A notice is overdue while it is open and `sent`,
/// `acknowledged`, `refused` or `still_online` past its deadline.
pub fn escalations_due(
    conn: &mut dyn Conn,
    policy: &DeadlinePolicy,
    now: i64,
) -> Result<Vec<Escalated>> {
    let due = conn.query(
        "SELECT id, case_id, deadline, escalation_step, escalation_at FROM notices \
         WHERE closed_at IS NULL AND deadline <= $1 AND status IN ('sent', 'acknowledged', 'refused', 'still_online') \
         AND escalation_step <> 'blocking_recommended' ORDER BY deadline, id",
        params![now],
    )?;
    let mut plan = Vec::new();
    for r in &due {
        let (id, case_id, deadline) = (r.i64(0)?, r.i64(1)?, r.i64(2)?);
        let mut step = parse_step(r.str(3)?);
        let mut at = r.opt_i64(4)?;
        while let Some((next, due_at)) = policy
            .next_step(deadline, step, at)
            .filter(|(_, d)| *d <= now)
        {
            plan.push(Escalated {
                notice_id: id,
                case_id,
                from: step,
                step: next,
                due_at,
            });
            step = next;
            at = Some(due_at);
        }
    }
    Ok(plan)
}

/// The escalation step: applies every rung due at `now` ([`escalations_due`]), each recorded
/// with the time it fell due, audited, and told to the platform. Safe to run from several
/// places: each pass sees the rungs already applied.
pub fn escalate_due(
    tx: &mut Tx<'_>,
    actor: &str,
    policy: &DeadlinePolicy,
    now: i64,
) -> Result<Vec<Escalated>> {
    let plan = escalations_due(tx.conn(), policy, now)?;
    for e in &plan {
        tx.conn().execute(
            "UPDATE notices SET escalation_step = $2, escalation_at = $3 WHERE id = $1",
            params![e.notice_id, e.step.as_str(), e.due_at],
        )?;
        tx.audit(
            actor,
            "notice.escalated",
            &format!("notice:{}", e.notice_id),
            Some(&json!({"step": e.from.as_str()}).to_string()),
            Some(&json!({"step": e.step.as_str(), "due_at": e.due_at}).to_string()),
        )?;
        if e.from == EscalationStep::None {
            let from = case_status(tx, e.case_id)?;
            if let Ok(to) = transition(from, Action::Escalate) {
                set_case_status(tx, actor, e.case_id, from, to)?;
            }
        }
        let platform_id = tx
            .conn()
            .query_one(
                "SELECT platform_id FROM notices WHERE id = $1",
                params![e.notice_id],
            )?
            .i64(0)?;
        let payload = json!({"notice_id": e.notice_id, "case_id": e.case_id, "step": e.step.as_str(),
            "due_at": to_rfc3339(e.due_at)});
        crate::webhooks::enqueue(tx, platform_id, "notice.escalated", &payload)?;
    }
    Ok(plan)
}

impl Store {
    pub fn notice(&self, id: i64) -> Result<Option<NoticeView>> {
        self.read(|c| get(c, id))
    }

    /// Notices as the team works them: open and overdue first (the longest overdue first),
    /// then the other open ones by deadline, then the closed ones, newest first; optionally
    /// for one platform and in one status.
    pub fn notices_by_urgency(
        &self,
        platform: Option<&str>,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<NoticeView>> {
        let now = self.now_ms();
        let sql = format!(
            "SELECT {NOTICE_COLUMNS} FROM notices n JOIN platforms p ON p.id = n.platform_id \
             WHERE ($1 = '' OR p.name = $1) AND ($2 = '' OR n.status = $2) \
             ORDER BY CASE WHEN n.closed_at IS NULL AND n.deadline <= $3 THEN 0 \
                           WHEN n.closed_at IS NULL THEN 1 ELSE 2 END, \
                      CASE WHEN n.closed_at IS NULL THEN n.deadline ELSE -n.id END, n.id \
             LIMIT $4"
        );
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        self.read(|c| {
            c.query(
                &sql,
                params![platform.unwrap_or(""), status.unwrap_or(""), now, limit],
            )?
            .iter()
            .map(notice_from_row)
            .collect()
        })
    }

    /// The notices of one case, newest first.
    pub fn case_notices(&self, case_id: i64) -> Result<Vec<NoticeView>> {
        let sql = format!(
            "SELECT {NOTICE_COLUMNS} FROM notices n JOIN platforms p ON p.id = n.platform_id \
             WHERE n.case_id = $1 ORDER BY n.id DESC"
        );
        self.read(|c| {
            c.query(&sql, params![case_id])?
                .iter()
                .map(notice_from_row)
                .collect()
        })
    }

    pub fn notices(
        &self,
        platform: Option<&str>,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<NoticeView>> {
        self.read(|c| list(c, platform, status, limit))
    }

    /// A platform's answer; `platform` scopes the look-up (another platform's notice is not found).
    pub async fn respond_to_notice(
        &self,
        actor: String,
        platform: Option<String>,
        id: i64,
        action: Response,
        reason: Option<String>,
    ) -> Result<NoticeView> {
        self.write(1, move |tx| {
            respond(
                tx,
                &actor,
                platform.as_deref(),
                id,
                action,
                reason.as_deref(),
            )
        })
        .await
    }

    /// The ministry's answer to a platform's dispute (see [`Resolution`]); `reason` is shown
    /// to the platform (webhook `notice.upheld` / `notice.withdrawn`).
    pub async fn resolve_dispute(
        &self,
        actor: String,
        case_id: i64,
        resolution: Resolution,
        reason: String,
    ) -> Result<Resolved> {
        self.write(1, move |tx| {
            resolve_dispute(tx, &actor, case_id, resolution, &reason)
        })
        .await
    }

    pub async fn recheck_case(
        &self,
        actor: String,
        case_id: i64,
        result: Recheck,
    ) -> Result<CaseStatus> {
        self.write(1, move |tx| recheck(tx, &actor, case_id, result))
            .await
    }

    /// One pass of the escalation step at `now` (blocking; the CLI and the worker use it).
    pub fn run_escalations_blocking(
        &self,
        actor: &str,
        policy: &DeadlinePolicy,
        now: i64,
    ) -> Result<Vec<Escalated>> {
        let (actor, policy) = (actor.to_string(), policy.clone());
        self.write_blocking(1, move |tx| escalate_due(tx, &actor, &policy, now))
    }

    /// What a pass at `now` would apply, changing nothing (`ronda escalations run --dry-run`).
    pub fn escalations_due(&self, policy: &DeadlinePolicy, now: i64) -> Result<Vec<Escalated>> {
        self.read(|c| escalations_due(c, policy, now))
    }
}
