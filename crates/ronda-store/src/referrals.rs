//! Police referrals: a case or an actor handed to the police under a formal request number,
//! and the status the police give it (`sent → acknowledged → investigating → closed`, forward
//! only; see [`ReferralStatus`]). Every write is audited on `referral:<id>`.
//!
//! The police role sees referrals and the cases in them: a case referral's case, or every case
//! of an actor referral's accounts ([`referral_case_ids`], [`case_is_referred`]).

use ronda_core::model::ReferralStatus;
use ronda_core::report::FieldError;
use serde_json::json;

use crate::db::{Conn, Row};
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// What is referred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Case(i64),
    Actor(i64),
}

/// A referral as staff and the police see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralView {
    pub id: i64,
    pub subject: Subject,
    pub request_number: String,
    pub status: ReferralStatus,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

/// A referral as submitted.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub subject: Subject,
    pub request_number: String,
    pub note: Option<String>,
}

const MAX_REQUEST_NUMBER_CHARS: usize = 100;
const MAX_NOTE_CHARS: usize = 4_000;

const COLUMNS: &str = "id, case_id, actor_id, request_number, status, note, created_by, created_at, updated_at, closed_at";

fn from_row(r: &Row) -> Result<ReferralView> {
    let subject = match (r.opt_i64(1)?, r.opt_i64(2)?) {
        (Some(case), _) => Subject::Case(case),
        (None, Some(actor)) => Subject::Actor(actor),
        (None, None) => {
            return Err(StoreError::Decode {
                column: 1,
                message: "referral without a subject".into(),
            });
        }
    };
    Ok(ReferralView {
        id: r.i64(0)?,
        subject,
        request_number: r.string(3)?,
        status: r.parse(4)?,
        note: r.opt_string(5)?,
        created_by: r.string(6)?,
        created_at: r.i64(7)?,
        updated_at: r.i64(8)?,
        closed_at: r.opt_i64(9)?,
    })
}

pub fn get(conn: &mut dyn Conn, id: i64) -> Result<Option<ReferralView>> {
    let sql = format!("SELECT {COLUMNS} FROM referrals WHERE id = $1");
    conn.query_opt(&sql, params![id])?
        .map(|r| from_row(&r))
        .transpose()
}

/// Referrals, newest first, optionally in one status.
pub fn list(
    conn: &mut dyn Conn,
    status: Option<ReferralStatus>,
    limit: usize,
) -> Result<Vec<ReferralView>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM referrals WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2"
    );
    let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
    conn.query(&sql, params![status.map_or("", |s| s.as_str()), limit])?
        .iter()
        .map(from_row)
        .collect()
}

/// Referrals of one case: directly, or through the actor behind its account.
pub fn for_case(conn: &mut dyn Conn, case_id: i64) -> Result<Vec<ReferralView>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM referrals WHERE case_id = $1 OR actor_id IN ({CASE_ACTORS}) ORDER BY id"
    );
    conn.query(&sql, params![case_id])?
        .iter()
        .map(from_row)
        .collect()
}

/// The actor of a case's account and the actor it was merged into (`$1` = case id).
const CASE_ACTORS: &str = "SELECT a.actor_id FROM cases c JOIN accounts a ON a.id = c.account_id \
     WHERE c.id = $1 AND a.actor_id IS NOT NULL \
     UNION SELECT t.merged_into FROM cases c JOIN accounts a ON a.id = c.account_id \
     JOIN actors t ON t.id = a.actor_id WHERE c.id = $1 AND t.merged_into IS NOT NULL";

/// Every case of an actor's accounts (including actors merged into it), oldest first.
pub fn actor_case_ids(conn: &mut dyn Conn, actor_id: i64) -> Result<Vec<i64>> {
    conn.query(
        "SELECT c.id FROM cases c JOIN accounts a ON a.id = c.account_id \
         WHERE a.actor_id IN (SELECT id FROM actors WHERE id = $1 OR merged_into = $1) ORDER BY c.id",
        params![actor_id],
    )?
    .iter()
    .map(|r| r.i64(0))
    .collect()
}

/// The cases a referral covers.
pub fn referral_case_ids(conn: &mut dyn Conn, r: &ReferralView) -> Result<Vec<i64>> {
    match r.subject {
        Subject::Case(id) => Ok(vec![id]),
        Subject::Actor(id) => actor_case_ids(conn, id),
    }
}

/// Whether a case is in any referral (what the police role may see).
pub fn case_is_referred(conn: &mut dyn Conn, case_id: i64) -> Result<bool> {
    let sql = format!(
        "SELECT id FROM referrals WHERE case_id = $1 OR actor_id IN ({CASE_ACTORS}) LIMIT 1"
    );
    Ok(conn.query_opt(&sql, params![case_id])?.is_some())
}

/// Whether one of `actor_ids` (an actor and the ids merged into it) was referred to the
/// police as an actor. A referral of one case does not open its actor's other accounts.
pub fn actor_is_referred(conn: &mut dyn Conn, actor_ids: &[i64]) -> Result<bool> {
    for id in actor_ids {
        if conn
            .query_opt(
                "SELECT id FROM referrals WHERE actor_id = $1 LIMIT 1",
                params![*id],
            )?
            .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(FieldError::new(
            "too_long",
            field,
            format!("`{field}` is at most {max} characters"),
        )
        .into());
    }
    Ok(())
}

fn create(tx: &mut Tx<'_>, actor: &str, new: &NewReferral) -> Result<ReferralView> {
    let number = new.request_number.trim();
    if number.is_empty() {
        return Err(
            FieldError::new("required", "request_number", "`request_number` is required").into(),
        );
    }
    check_text("request_number", number, MAX_REQUEST_NUMBER_CHARS)?;
    if let Some(n) = &new.note {
        check_text("note", n, MAX_NOTE_CHARS)?;
    }
    let (case_id, actor_id, exists) = match new.subject {
        Subject::Case(id) => (
            Some(id),
            None,
            tx.conn()
                .query_opt("SELECT id FROM cases WHERE id = $1", params![id])?
                .is_some(),
        ),
        Subject::Actor(id) => (
            None,
            Some(id),
            tx.conn()
                .query_opt("SELECT id FROM actors WHERE id = $1", params![id])?
                .is_some(),
        ),
    };
    if !exists {
        let field = if case_id.is_some() {
            "case_id"
        } else {
            "actor_id"
        };
        return Err(FieldError::new("unknown", field, format!("no such {field}")).into());
    }
    if tx
        .conn()
        .query_opt(
            "SELECT id FROM referrals WHERE request_number = $1",
            params![number],
        )?
        .is_some()
    {
        return Err(StoreError::Conflict(format!(
            "request number `{number}` is already used by another referral"
        )));
    }
    let now = tx.now_ms();
    let id = tx.conn().insert_id(
        "INSERT INTO referrals (case_id, actor_id, request_number, status, note, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        params![
            case_id,
            actor_id,
            number,
            ReferralStatus::Sent.as_str(),
            new.note.as_deref(),
            actor,
            now
        ],
    )?;
    let after = json!({"case_id": case_id, "actor_id": actor_id, "request_number": number,
        "status": ReferralStatus::Sent, "note": new.note});
    tx.audit(
        actor,
        "referral.created",
        &format!("referral:{id}"),
        None,
        Some(&after.to_string()),
    )?;
    get(tx.conn(), id)?.ok_or_else(|| StoreError::NotFound(format!("referral {id}")))
}

fn set_status(
    tx: &mut Tx<'_>,
    actor: &str,
    id: i64,
    to: ReferralStatus,
    note: Option<&str>,
) -> Result<ReferralView> {
    let r = get(tx.conn(), id)?.ok_or_else(|| StoreError::NotFound(format!("referral {id}")))?;
    // The same status twice is one answer: idempotent.
    if r.status == to {
        return Ok(r);
    }
    if !r.status.can_move_to(to) {
        let allowed: Vec<&str> = r.status.next().iter().map(|s| s.as_str()).collect();
        return Err(StoreError::Conflict(format!(
            "referral {id} is `{}` and cannot become `{to}`; allowed: {}",
            r.status,
            if allowed.is_empty() {
                "nothing".to_string()
            } else {
                allowed.join(", ")
            }
        )));
    }
    if let Some(n) = note {
        check_text("note", n, MAX_NOTE_CHARS)?;
    }
    let now = tx.now_ms();
    let closed_at = (to == ReferralStatus::Closed).then_some(now);
    tx.conn().execute(
        "UPDATE referrals SET status = $2, updated_at = $3, closed_at = $4 WHERE id = $1",
        params![id, to.as_str(), now, closed_at],
    )?;
    tx.audit(
        actor,
        "referral.status",
        &format!("referral:{id}"),
        Some(&json!({"status": r.status}).to_string()),
        Some(&json!({"status": to, "note": note}).to_string()),
    )?;
    get(tx.conn(), id)?.ok_or_else(|| StoreError::NotFound(format!("referral {id}")))
}

impl Store {
    /// Refers a case or an actor to the police (status `sent`).
    pub async fn create_referral(&self, actor: &str, new: NewReferral) -> Result<ReferralView> {
        let actor = actor.to_string();
        self.write(1, move |tx| create(tx, &actor, &new)).await
    }

    pub fn create_referral_blocking(&self, actor: &str, new: NewReferral) -> Result<ReferralView> {
        let actor = actor.to_string();
        self.write_blocking(1, move |tx| create(tx, &actor, &new))
    }

    /// Moves a referral forward; the same status again is a no-op, a step back a conflict.
    pub async fn set_referral_status(
        &self,
        actor: &str,
        id: i64,
        to: ReferralStatus,
        note: Option<String>,
    ) -> Result<ReferralView> {
        let actor = actor.to_string();
        self.write(1, move |tx| set_status(tx, &actor, id, to, note.as_deref()))
            .await
    }

    pub fn set_referral_status_blocking(
        &self,
        actor: &str,
        id: i64,
        to: ReferralStatus,
        note: Option<&str>,
    ) -> Result<ReferralView> {
        let actor = actor.to_string();
        let note = note.map(str::to_string);
        self.write_blocking(1, move |tx| set_status(tx, &actor, id, to, note.as_deref()))
    }

    pub fn referral(&self, id: i64) -> Result<Option<ReferralView>> {
        self.read(|c| get(c, id))
    }

    pub fn referrals(
        &self,
        status: Option<ReferralStatus>,
        limit: usize,
    ) -> Result<Vec<ReferralView>> {
        self.read(|c| list(c, status, limit))
    }

    /// The cases a referral covers.
    pub fn referral_case_ids(&self, r: &ReferralView) -> Result<Vec<i64>> {
        self.read(|c| referral_case_ids(c, r))
    }

    pub fn case_is_referred(&self, case_id: i64) -> Result<bool> {
        self.read(|c| case_is_referred(c, case_id))
    }

    pub fn actor_is_referred(&self, actor_ids: &[i64]) -> Result<bool> {
        self.read(|c| actor_is_referred(c, actor_ids))
    }

    pub fn actor_case_ids(&self, actor_id: i64) -> Result<Vec<i64>> {
        self.read(|c| actor_case_ids(c, actor_id))
    }
}
