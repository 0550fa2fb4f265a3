//! The verification queue: which cases wait for an analyst, leases ("claims") so that two
//! analysts never work one case, and decisions with their legal basis.

use ronda_core::clock::to_rfc3339;
use ronda_core::model::{CaseStatus, Category};
use ronda_core::report::FieldError;
use ronda_core::workflow::{Action, DeadlinePolicy, decision_action, transition};
use serde_json::json;

use crate::cases::{
    CASE_COLUMNS, CaseFilter, CaseView, case_from_row, filter_conditions, priority_rank,
    search_pattern,
};
use crate::db::Conn;
use crate::db::{Backend, Param};
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// Who is working: the holder of claims and their audit name.
///
/// Claims are held by an API token or by a console user; both live in one number space,
/// `cases.claimed_by`: a token's id as it is, a user's id negated (ids are positive). So the
/// queue, claims and decisions need no second column, and a token and a user never hold one
/// claim together.
#[derive(Debug, Clone)]
pub struct Reviewer {
    pub holder: i64,
    pub actor: String,
}

impl Reviewer {
    /// An API token at work.
    pub fn token(token_id: i64, actor: impl Into<String>) -> Reviewer {
        Reviewer {
            holder: token_id,
            actor: actor.into(),
        }
    }

    /// A console user at work.
    pub fn user(user_id: i64, actor: impl Into<String>) -> Reviewer {
        Reviewer {
            holder: -user_id,
            actor: actor.into(),
        }
    }

    /// The token, for the decisions it records (a user's decisions have none).
    fn token_id(&self) -> Option<i64> {
        (self.holder > 0).then_some(self.holder)
    }
}

/// The console user holding a claim (`claimed_by`), when a user holds it.
pub fn holding_user(claimed_by: i64) -> Option<i64> {
    (claimed_by < 0).then(|| -claimed_by)
}

/// A lease on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub case_id: i64,
    pub status: CaseStatus,
    pub claimed_by: i64,
    pub expires_at: i64,
}

/// An analyst's verdict on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Confirm,
    Reject,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirm => "confirm",
            Verdict::Reject => "reject",
        }
    }
}

/// A decision as submitted, already checked against the configured legal bases.
#[derive(Debug, Clone)]
pub struct Decision {
    pub verdict: Verdict,
    pub category: Option<Category>,
    pub legal_basis: Option<String>,
    pub note: Option<String>,
    /// Supervisors and admins may decide a case another analyst holds; their confirmations
    /// need no approval.
    pub override_claim: bool,
    /// Categories whose confirmation by an analyst waits for a supervisor's approval.
    pub approval_categories: Vec<Category>,
}

/// The outcome of a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub decision_id: i64,
    pub case_id: i64,
    pub status: CaseStatus,
    /// The takedown notice a confirmation issued.
    pub notice_id: Option<i64>,
}

struct CaseState {
    status: CaseStatus,
    claimed_by: Option<i64>,
    claim_expires_at: Option<i64>,
    category: Option<String>,
}

fn load(tx: &mut Tx<'_>, case_id: i64) -> Result<CaseState> {
    let row = tx
        .conn()
        .query_opt(
            "SELECT status, claimed_by, claim_expires_at, category FROM cases WHERE id = $1",
            params![case_id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("case {case_id}")))?;
    Ok(CaseState {
        status: row.parse(0)?,
        claimed_by: row.opt_i64(1)?,
        claim_expires_at: row.opt_i64(2)?,
        category: row.opt_string(3)?,
    })
}

fn held_by_other(s: &CaseState, holder: i64, now: i64) -> Option<(i64, i64)> {
    match (s.claimed_by, s.claim_expires_at) {
        (Some(by), Some(until)) if by != holder && until > now => Some((by, until)),
        _ => None,
    }
}

fn claim(tx: &mut Tx<'_>, who: &Reviewer, case_id: i64, ttl_ms: i64) -> Result<Claim> {
    let now = tx.now_ms();
    let s = load(tx, case_id)?;
    if let Some((by, until)) = held_by_other(&s, who.holder, now) {
        return Err(StoreError::Conflict(format!(
            "case {case_id} is claimed by token {by} until {}",
            to_rfc3339(until)
        )));
    }
    let status = match s.status {
        CaseStatus::InReview => CaseStatus::InReview,
        other => transition(other, Action::StartReview)?,
    };
    let expires_at = now + ttl_ms;
    tx.conn().execute(
        "UPDATE cases SET status = $2, claimed_by = $3, claim_expires_at = $4, updated_at = $5 WHERE id = $1",
        params![case_id, status.as_str(), who.holder, expires_at, now],
    )?;
    let before = json!({"status": s.status, "claimed_by": s.claimed_by}).to_string();
    let after = json!({"status": status, "claimed_by": who.holder, "claim_expires_at": expires_at})
        .to_string();
    tx.audit(
        &who.actor,
        "case.claimed",
        &format!("case:{case_id}"),
        Some(&before),
        Some(&after),
    )?;
    Ok(Claim {
        case_id,
        status,
        claimed_by: who.holder,
        expires_at,
    })
}

fn release(tx: &mut Tx<'_>, who: &Reviewer, case_id: i64) -> Result<()> {
    let now = tx.now_ms();
    let s = load(tx, case_id)?;
    if s.claimed_by != Some(who.holder) || s.claim_expires_at.is_none_or(|t| t <= now) {
        return Err(StoreError::Conflict(format!(
            "you hold no claim on case {case_id}"
        )));
    }
    tx.conn().execute(
        "UPDATE cases SET claimed_by = NULL, claim_expires_at = NULL, updated_at = $2 WHERE id = $1",
        params![case_id, now],
    )?;
    tx.audit(
        &who.actor,
        "case.released",
        &format!("case:{case_id}"),
        Some(&json!({"claimed_by": who.holder}).to_string()),
        Some(r#"{"claimed_by":null}"#),
    )?;
    Ok(())
}

fn decide(
    tx: &mut Tx<'_>,
    who: &Reviewer,
    case_id: i64,
    d: &Decision,
    policy: &DeadlinePolicy,
) -> Result<Decided> {
    let now = tx.now_ms();
    let s = load(tx, case_id)?;
    // A confirmation goes through triage: confirming child_exploitation is a child-safety sign
    // (urgent); on a case with a sign, only a supervisor may confirm another category.
    let triage_before = crate::triage::load(tx, case_id)?;
    let triage_after = match (d.verdict, d.category) {
        (Verdict::Confirm, Some(c)) => Some(
            triage_before
                .confirm(c, d.override_claim)
                .map_err(|e| FieldError::new("child_safety", "category", e.to_string()))?,
        ),
        _ => None,
    };
    let category = d
        .category
        .map(|c| c.as_str().to_string())
        .or_else(|| s.category.clone());
    // Approval routing (ronda-core): a high-impact confirmation by an analyst waits for a
    // supervisor.
    let action = decision_action(
        d.verdict == Verdict::Confirm,
        category.as_deref().and_then(|c| c.parse::<Category>().ok()),
        d.override_claim,
        &d.approval_categories,
    );
    // A decision the case's status does not allow is refused first: claiming would not help.
    let status = transition(s.status, action)?;
    let holds = s.claimed_by == Some(who.holder) && s.claim_expires_at.is_some_and(|t| t > now);
    if !holds && !d.override_claim {
        return Err(StoreError::Conflict(format!(
            "claim case {case_id} before deciding it (POST /api/v1/cases/{case_id}/claim)"
        )));
    }
    if d.verdict == Verdict::Confirm && category.is_none() {
        return Err(
            FieldError::new("required", "category", "a confirmed case needs a category").into(),
        );
    }
    let decision_id = tx.conn().insert_id(
        "INSERT INTO decisions (case_id, decision, category, legal_basis, note, decided_by, token_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        params![
            case_id,
            d.verdict.as_str(),
            category.as_deref(),
            d.legal_basis.as_deref(),
            d.note.as_deref(),
            &who.actor,
            who.token_id(),
            now
        ],
    )?;
    tx.conn().execute(
        "UPDATE cases SET status = $2, is_open = $3, category = $4, legal_basis = COALESCE($5, legal_basis), \
         claimed_by = NULL, claim_expires_at = NULL, updated_at = $6 WHERE id = $1",
        params![
            case_id,
            status.as_str(),
            status.is_open(),
            category.as_deref(),
            d.legal_basis.as_deref(),
            now
        ],
    )?;
    if let Some(t) = &triage_after {
        crate::triage::save(tx, case_id, t)?;
    }
    let t = triage_after.unwrap_or(triage_before);
    let before = json!({"status": s.status, "category": s.category,
        "priority": triage_before.priority, "child_safety": triage_before.child.map(|c| c.as_str())})
    .to_string();
    let after = json!({"status": status, "category": category, "legal_basis": d.legal_basis,
        "priority": t.priority, "child_safety": t.child.map(|c| c.as_str()),
        "decision": d.verdict.as_str(), "decision_id": decision_id})
    .to_string();
    tx.audit(
        &who.actor,
        "case.decided",
        &format!("case:{case_id}"),
        Some(&before),
        Some(&after),
    )?;
    finish(tx, who, decision_id, case_id, status, policy)
}

/// Moves a case by `action` with a reason (`close`, `reopen`): the lease is dropped, the move
/// audited as `event` with the reason.
fn move_with_reason(
    tx: &mut Tx<'_>,
    who: &Reviewer,
    case_id: i64,
    action: Action,
    event: &str,
    reason: &str,
) -> Result<CaseStatus> {
    let s = load(tx, case_id)?;
    let to = transition(s.status, action)?;
    if to.is_open() {
        // One open case per target: a reopened case must not stand beside another.
        let key = tx
            .conn()
            .query_one(
                "SELECT target_key FROM cases WHERE id = $1",
                params![case_id],
            )?
            .string(0)?;
        if let Some(open) = tx.conn().query_opt(
            "SELECT id FROM cases WHERE target_key = $1 AND is_open = 1 AND id <> $2",
            params![&key, case_id],
        )? {
            return Err(StoreError::Conflict(format!(
                "the target of case {case_id} has an open case, {}; work on that one",
                open.i64(0)?
            )));
        }
    }
    let now = tx.now_ms();
    tx.conn().execute(
        "UPDATE cases SET status = $2, is_open = $3, claimed_by = NULL, claim_expires_at = NULL, updated_at = $4 \
         WHERE id = $1",
        params![case_id, to.as_str(), to.is_open(), now],
    )?;
    tx.audit(
        &who.actor,
        event,
        &format!("case:{case_id}"),
        Some(&json!({"status": s.status}).to_string()),
        Some(&json!({"status": to, "reason": reason}).to_string()),
    )?;
    Ok(to)
}

/// A case that ends up `confirmed` is an order to the platform: its notice goes out in the same
/// transaction, and the case moves on to `notice_sent`.
fn finish(
    tx: &mut Tx<'_>,
    who: &Reviewer,
    decision_id: i64,
    case_id: i64,
    status: CaseStatus,
    policy: &DeadlinePolicy,
) -> Result<Decided> {
    if status != CaseStatus::Confirmed {
        return Ok(Decided {
            decision_id,
            case_id,
            status,
            notice_id: None,
        });
    }
    let notice_id = crate::notices::send(tx, &who.actor, case_id, policy)?;
    Ok(Decided {
        decision_id,
        case_id,
        status: CaseStatus::NoticeSent,
        notice_id: Some(notice_id),
    })
}

fn approve(
    tx: &mut Tx<'_>,
    who: &Reviewer,
    case_id: i64,
    approved: bool,
    note: Option<&str>,
    policy: &DeadlinePolicy,
) -> Result<Decided> {
    let s = load(tx, case_id)?;
    let action = if approved {
        Action::Approve
    } else {
        Action::Disapprove
    };
    let status = transition(s.status, action)?;
    let now = tx.now_ms();
    let decision_id = tx.conn().insert_id(
        "INSERT INTO decisions (case_id, decision, category, legal_basis, note, decided_by, token_id, created_at) \
         SELECT $1, $2, category, legal_basis, $3, $4, $5, $6 FROM cases WHERE id = $1 RETURNING id",
        params![case_id, action.as_str(), note, &who.actor, who.token_id(), now],
    )?;
    tx.conn().execute(
        "UPDATE cases SET status = $2, claimed_by = NULL, claim_expires_at = NULL, updated_at = $3 WHERE id = $1",
        params![case_id, status.as_str(), now],
    )?;
    tx.audit(
        &who.actor,
        if approved {
            "case.approved"
        } else {
            "case.disapproved"
        },
        &format!("case:{case_id}"),
        Some(&json!({"status": s.status}).to_string()),
        Some(&json!({"status": status, "note": note}).to_string()),
    )?;
    finish(tx, who, decision_id, case_id, status, policy)
}

/// Cases waiting for an analyst: new or in review, not leased by someone else, narrowed by
/// `f` (its status is ignored); by priority (urgent first), then by detection score, then
/// oldest first.
pub fn queue(conn: &mut dyn Conn, holder: i64, now: i64, f: &CaseFilter) -> Result<Vec<CaseView>> {
    let filter = CaseFilter {
        status: None,
        ..f.clone()
    };
    let pattern = search_pattern(&filter);
    let limit = i64::try_from(f.limit.clamp(1, 500)).unwrap_or(500);
    let mut ps: Vec<Param<'_>> = vec![Param::Int(now), Param::Int(holder), Param::Int(limit)];
    let mut conds = vec![
        "c.status IN ('new', 'in_review')".to_string(),
        "(c.claimed_by IS NULL OR c.claim_expires_at <= $1 OR c.claimed_by = $2)".to_string(),
    ];
    conds.extend(filter_conditions(&filter, pattern.as_deref(), &mut ps));
    // The order is an index (migration 0021): walked, it yields the first cases without
    // sorting every open one. SQLite, without statistics, would rather look the two statuses
    // up in `cases_status` and sort; PostgreSQL's planner finds the index by itself.
    let hint = match conn.backend() {
        Backend::Sqlite => "INDEXED BY cases_review_order",
        Backend::Postgres => "",
    };
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c {hint} JOIN platforms p ON p.id = c.platform_id \
         WHERE {} \
         ORDER BY c.priority DESC, COALESCE(c.detect_score, 0) DESC, c.first_reported_at ASC, c.id ASC LIMIT $3",
        conds.join(" AND ")
    );
    conn.query(&sql, &ps)?.iter().map(case_from_row).collect()
}

/// A decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionView {
    pub decision: String,
    pub category: Option<String>,
    pub legal_basis: Option<String>,
    pub note: Option<String>,
    /// The audit actor who made it.
    pub decided_by: String,
    pub created_at: i64,
}

/// Who holds a live claim on a case, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimHolder {
    /// A token's id, or a user's id negated (see [`Reviewer`]).
    pub holder: i64,
    /// The token's or the user's name.
    pub name: String,
    pub expires_at: i64,
}

fn claim_of(conn: &mut dyn Conn, case_id: i64, now: i64) -> Result<Option<ClaimHolder>> {
    let row = conn.query_opt(
        "SELECT c.claimed_by, c.claim_expires_at, \
                COALESCE(u.name, t.name, '') FROM cases c \
         LEFT JOIN users u ON c.claimed_by < 0 AND u.id = -c.claimed_by \
         LEFT JOIN api_tokens t ON c.claimed_by > 0 AND t.id = c.claimed_by \
         WHERE c.id = $1 AND c.claimed_by IS NOT NULL AND c.claim_expires_at > $2",
        params![case_id, now],
    )?;
    row.map(|r| {
        Ok(ClaimHolder {
            holder: r.i64(0)?,
            expires_at: r.i64(1)?,
            name: r.string(2)?,
        })
    })
    .transpose()
}

/// How many cases a queue view holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// New or in review, matching the filter (held ones included).
    pub open: i64,
    /// Of those, of priority urgent.
    pub urgent: i64,
    /// Of those, child-safety cases.
    pub child_safety: i64,
    /// Of those, held by someone under a live claim.
    pub held: i64,
}

fn queue_counts(conn: &mut dyn Conn, now: i64, f: &CaseFilter) -> Result<QueueCounts> {
    let filter = CaseFilter {
        status: None,
        ..f.clone()
    };
    let pattern = search_pattern(&filter);
    let mut ps: Vec<Param<'_>> = vec![
        Param::Int(now),
        Param::Int(priority_rank(ronda_core::model::Priority::Urgent)),
    ];
    let mut conds = vec!["c.status IN ('new', 'in_review')".to_string()];
    conds.extend(filter_conditions(&filter, pattern.as_deref(), &mut ps));
    let sql = format!(
        "SELECT COUNT(*), \
                COALESCE(SUM(CASE WHEN c.priority = $2 THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN c.child_safety IS NOT NULL THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN c.claimed_by IS NOT NULL AND c.claim_expires_at > $1 THEN 1 ELSE 0 END), 0) \
         FROM cases c JOIN platforms p ON p.id = c.platform_id WHERE {}",
        conds.join(" AND ")
    );
    let rows = conn.query(&sql, &ps)?;
    let Some(r) = rows.first() else {
        return Ok(QueueCounts::default());
    };
    Ok(QueueCounts {
        open: r.i64(0)?,
        urgent: r.i64(1)?,
        child_safety: r.i64(2)?,
        held: r.i64(3)?,
    })
}

impl Store {
    pub async fn claim_case(&self, who: Reviewer, case_id: i64, ttl_ms: i64) -> Result<Claim> {
        self.write(1, move |tx| claim(tx, &who, case_id, ttl_ms))
            .await
    }

    /// Closes a rejected or removed case, with the reason, audited (`case.closed`).
    pub async fn close_case(
        &self,
        who: Reviewer,
        case_id: i64,
        reason: String,
    ) -> Result<CaseStatus> {
        self.write(1, move |tx| {
            move_with_reason(tx, &who, case_id, Action::Close, "case.closed", &reason)
        })
        .await
    }

    /// Reopens a rejected, removed or closed case for review (a mistaken rejection, content
    /// whose removal did not hold), with the reason, audited (`case.reopened`). The target holds
    /// one open case at a time: when another is open, the conflict names it. The caller checks
    /// that a supervisor asks.
    pub async fn reopen_case(
        &self,
        who: Reviewer,
        case_id: i64,
        reason: String,
    ) -> Result<CaseStatus> {
        self.write(1, move |tx| {
            move_with_reason(tx, &who, case_id, Action::Reopen, "case.reopened", &reason)
        })
        .await
    }

    pub async fn release_case(&self, who: Reviewer, case_id: i64) -> Result<()> {
        self.write(1, move |tx| release(tx, &who, case_id)).await
    }

    /// Records a decision; a confirmation also sends the notice under `policy`.
    pub async fn decide_case(
        &self,
        who: Reviewer,
        case_id: i64,
        d: Decision,
        policy: DeadlinePolicy,
    ) -> Result<Decided> {
        self.write(1, move |tx| decide(tx, &who, case_id, &d, &policy))
            .await
    }

    /// A supervisor's answer to a confirmation awaiting approval; approval sends the notice.
    pub async fn approve_case(
        &self,
        who: Reviewer,
        case_id: i64,
        approved: bool,
        note: Option<String>,
        policy: DeadlinePolicy,
    ) -> Result<Decided> {
        self.write(1, move |tx| {
            approve(tx, &who, case_id, approved, note.as_deref(), &policy)
        })
        .await
    }

    /// Confirmations waiting for a supervisor, oldest first.
    pub fn approval_queue(&self, limit: usize) -> Result<Vec<CaseView>> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c JOIN platforms p ON p.id = c.platform_id \
             WHERE c.status = 'awaiting_approval' ORDER BY c.priority DESC, c.updated_at ASC LIMIT $1"
        );
        let limit = i64::try_from(limit.clamp(1, 500)).unwrap_or(500);
        self.read(|c| {
            c.query(&sql, params![limit])?
                .iter()
                .map(case_from_row)
                .collect()
        })
    }

    pub fn review_queue(&self, holder: i64, limit: usize) -> Result<Vec<CaseView>> {
        self.review_queue_filtered(
            holder,
            &CaseFilter {
                limit,
                ..CaseFilter::default()
            },
        )
    }

    /// The review queue narrowed by a filter (category, platform, source, priority, search).
    pub fn review_queue_filtered(&self, holder: i64, f: &CaseFilter) -> Result<Vec<CaseView>> {
        let now = self.now_ms();
        self.read(|c| queue(c, holder, now, f))
    }

    /// The latest decision on a case, if any.
    pub fn latest_decision(&self, case_id: i64) -> Result<Option<DecisionView>> {
        self.read(|c| {
            c.query_opt(
                "SELECT decision, category, legal_basis, note, decided_by, created_at FROM decisions \
                 WHERE case_id = $1 ORDER BY id DESC LIMIT 1",
                params![case_id],
            )?
            .map(|r| {
                Ok(DecisionView {
                    decision: r.string(0)?,
                    category: r.opt_string(1)?,
                    legal_basis: r.opt_string(2)?,
                    note: r.opt_string(3)?,
                    decided_by: r.string(4)?,
                    created_at: r.i64(5)?,
                })
            })
            .transpose()
        })
    }

    /// The live claim on a case, if any.
    pub fn case_claim(&self, case_id: i64) -> Result<Option<ClaimHolder>> {
        let now = self.now_ms();
        self.read(|c| claim_of(c, case_id, now))
    }

    /// The counts of the queue a filter shows.
    pub fn queue_counts(&self, f: &CaseFilter) -> Result<QueueCounts> {
        let now = self.now_ms();
        self.read(|c| queue_counts(c, now, f))
    }
}
