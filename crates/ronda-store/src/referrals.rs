//! Police referrals: a case or an actor handed to the police under a formal request number,
//! and the status the police give it (`sent → acknowledged → investigating → closed`, forward
//! only; see [`ReferralStatus`]). Every write is audited on `referral:<id>`.
//!
//! The police role sees referrals and the cases in them: a case referral's case, or every case
//! of an actor referral's accounts ([`referral_case_ids`], [`case_is_referred`]).
//!
//! A referral may be addressed to a police **unit** (the unit police users belong to); one
//! without a unit is open to every police user ([`ReferralView::open_to_unit`]). The police ask
//! **questions** about a referral and the team answers each once
//! ([`Store::ask_referral_question`], [`Store::answer_referral_question`]); both are audited on
//! the referral, the answer after the question, so the audit log holds the exchange in order.

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
    /// The police unit it is addressed to; `None`: every unit.
    pub unit: Option<String>,
}

impl ReferralView {
    /// Whether a police user of `unit` may see this referral.
    pub fn open_to_unit(&self, unit: &str) -> bool {
        self.unit.as_deref().is_none_or(|u| u == unit)
    }
}

/// A question the police asked about a referral, and the team's answer once given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionView {
    pub id: i64,
    pub referral_id: i64,
    pub asked_by: String,
    pub question: String,
    pub asked_at: i64,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
}

/// A referral as submitted.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub subject: Subject,
    pub request_number: String,
    pub note: Option<String>,
    /// The police unit it is addressed to (as police users' `unit`); `None`: every unit.
    pub unit: Option<String>,
}

const MAX_UNIT_CHARS: usize = 100;
const MAX_QUESTION_CHARS: usize = 4_000;

const MAX_REQUEST_NUMBER_CHARS: usize = 100;
const MAX_NOTE_CHARS: usize = 4_000;

const COLUMNS: &str = "id, case_id, actor_id, request_number, status, note, created_by, created_at, updated_at, closed_at, unit";

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
        unit: r.opt_string(10)?,
    })
}

const QUESTION_COLUMNS: &str =
    "id, referral_id, asked_by, question, asked_at, answer, answered_by, answered_at";

fn question_from_row(r: &Row) -> Result<QuestionView> {
    Ok(QuestionView {
        id: r.i64(0)?,
        referral_id: r.i64(1)?,
        asked_by: r.string(2)?,
        question: r.string(3)?,
        asked_at: r.i64(4)?,
        answer: r.opt_string(5)?,
        answered_by: r.opt_string(6)?,
        answered_at: r.opt_i64(7)?,
    })
}

/// A referral's questions, oldest first.
pub fn questions(conn: &mut dyn Conn, referral_id: i64) -> Result<Vec<QuestionView>> {
    let sql = format!(
        "SELECT {QUESTION_COLUMNS} FROM referral_questions WHERE referral_id = $1 ORDER BY id"
    );
    conn.query(&sql, params![referral_id])?
        .iter()
        .map(question_from_row)
        .collect()
}

/// Questions not answered yet, oldest first.
pub fn open_questions(conn: &mut dyn Conn, limit: usize) -> Result<Vec<QuestionView>> {
    let sql = format!(
        "SELECT {QUESTION_COLUMNS} FROM referral_questions WHERE answered_at IS NULL ORDER BY id LIMIT $1"
    );
    let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
    conn.query(&sql, params![limit])?
        .iter()
        .map(question_from_row)
        .collect()
}

pub fn get(conn: &mut dyn Conn, id: i64) -> Result<Option<ReferralView>> {
    let sql = format!("SELECT {COLUMNS} FROM referrals WHERE id = $1");
    conn.query_opt(&sql, params![id])?
        .map(|r| from_row(&r))
        .transpose()
}

/// Referrals, newest first, optionally in one status and open to one police unit (addressed to
/// it or to no unit).
pub fn list(
    conn: &mut dyn Conn,
    status: Option<ReferralStatus>,
    unit: Option<&str>,
    limit: usize,
) -> Result<Vec<ReferralView>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM referrals WHERE ($1 = '' OR status = $1) \
         AND ($2 = '' OR unit IS NULL OR unit = $2) ORDER BY id DESC LIMIT $3"
    );
    let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
    conn.query(
        &sql,
        params![status.map_or("", |s| s.as_str()), unit.unwrap_or(""), limit],
    )?
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
    let unit = new.unit.as_deref().map(str::trim).filter(|u| !u.is_empty());
    if let Some(u) = unit {
        check_text("unit", u, MAX_UNIT_CHARS)?;
        ronda_core::report::check_chars(u, "unit")?;
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
        "INSERT INTO referrals (case_id, actor_id, request_number, status, note, created_by, created_at, updated_at, unit) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id",
        params![
            case_id,
            actor_id,
            number,
            ReferralStatus::Sent.as_str(),
            new.note.as_deref(),
            actor,
            now,
            unit
        ],
    )?;
    let after = json!({"case_id": case_id, "actor_id": actor_id, "request_number": number,
        "status": ReferralStatus::Sent, "note": new.note, "unit": unit});
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

fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new("required", field, format!("`{field}` is required")).into());
    }
    check_text(field, value, max)?;
    ronda_core::report::check_chars(value, field)?;
    Ok(value.to_string())
}

fn ask(tx: &mut Tx<'_>, actor: &str, referral_id: i64, question: &str) -> Result<QuestionView> {
    let question = required_text("question", question, MAX_QUESTION_CHARS)?;
    let r = get(tx.conn(), referral_id)?
        .ok_or_else(|| StoreError::NotFound(format!("referral {referral_id}")))?;
    let now = tx.now_ms();
    let id = tx.conn().insert_id(
        "INSERT INTO referral_questions (referral_id, asked_by, question, asked_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
        params![r.id, actor, question.as_str(), now],
    )?;
    tx.audit(
        actor,
        "referral.question",
        &format!("referral:{}", r.id),
        None,
        Some(&json!({"question_id": id, "question": question}).to_string()),
    )?;
    question_get(tx.conn(), id)
}

fn question_get(conn: &mut dyn Conn, id: i64) -> Result<QuestionView> {
    let sql = format!("SELECT {QUESTION_COLUMNS} FROM referral_questions WHERE id = $1");
    conn.query_opt(&sql, params![id])?
        .map(|r| question_from_row(&r))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("question {id}")))
}

fn answer(tx: &mut Tx<'_>, actor: &str, question_id: i64, text: &str) -> Result<QuestionView> {
    let text = required_text("answer", text, MAX_QUESTION_CHARS)?;
    let q = question_get(tx.conn(), question_id)?;
    if q.answered_at.is_some() {
        return Err(StoreError::Conflict(format!(
            "question {question_id} was already answered by {}",
            q.answered_by.as_deref().unwrap_or("the team")
        )));
    }
    let now = tx.now_ms();
    tx.conn().execute(
        "UPDATE referral_questions SET answer = $2, answered_by = $3, answered_at = $4 WHERE id = $1",
        params![question_id, text.as_str(), actor, now],
    )?;
    tx.audit(
        actor,
        "referral.answer",
        &format!("referral:{}", q.referral_id),
        None,
        Some(&json!({"question_id": question_id, "answer": text}).to_string()),
    )?;
    question_get(tx.conn(), question_id)
}

impl Store {
    /// Records a police user's question about a referral.
    pub async fn ask_referral_question(
        &self,
        actor: &str,
        referral_id: i64,
        question: String,
    ) -> Result<QuestionView> {
        let actor = actor.to_string();
        self.write(1, move |tx| ask(tx, &actor, referral_id, &question))
            .await
    }

    /// The team's answer to a question; a question is answered once (then a conflict).
    pub async fn answer_referral_question(
        &self,
        actor: &str,
        question_id: i64,
        text: String,
    ) -> Result<QuestionView> {
        let actor = actor.to_string();
        self.write(1, move |tx| answer(tx, &actor, question_id, &text))
            .await
    }

    pub fn referral_questions(&self, referral_id: i64) -> Result<Vec<QuestionView>> {
        self.read(|c| questions(c, referral_id))
    }

    pub fn open_referral_questions(&self, limit: usize) -> Result<Vec<QuestionView>> {
        self.read(|c| open_questions(c, limit))
    }

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

    /// Referrals, newest first; with `unit`, only those open to that police unit.
    pub fn referrals(
        &self,
        status: Option<ReferralStatus>,
        unit: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ReferralView>> {
        self.read(|c| list(c, status, unit, limit))
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
