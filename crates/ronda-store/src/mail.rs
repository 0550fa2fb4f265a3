//! The mail outbox (see migration 0023 for the tables). Mail is a projection of the audit log:
//! [`Store::follow_mail_events`] reads the events after `mail_cursor` and queues the messages
//! they call for, in one write transaction that also moves the cursor, so each event is read
//! once however many instances follow it (the cursor row is locked by the first statement; a
//! second instance waits, then reads from where the first stopped). What calls for mail:
//!
//! - a case event whose after-image has a `status` reaching the public stage "action
//!   requested" → `report.verified` for each of the case's tracked reports whose sealed
//!   contact holds an e-mail address ([`ronda_core::contact::email_in`]);
//! - one reaching an end (removed, not a violation, closed) → `report.completed` likewise;
//! - `notice.sent` → `notice.sent` when the platform has a notice address.
//!
//! `UNIQUE (kind, ref_id)` makes it at most one message of each kind per report or notice: a
//! case that goes back and forth does not mail its reporters twice. Events older than the
//! caller's `stale_ms` are read and skipped (mail switched on after a pause does not send old
//! news), and a cursor that does not exist yet starts at the newest event (switching mail on
//! never mails the past).
//!
//! Sending: [`Store::claim_mail`] takes the oldest due row under a lease (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`) and reads its recipient and contents at that moment; a row whose
//! recipient is gone (retention removed the contact, the platform cleared its address) is
//! dropped with the reason. [`Store::record_mail`] records the outcome while the claim holds:
//! sent, retried after a backoff, or dropped after a permanent refusal or `max_attempts`.

use ronda_core::contact::email_in;
use ronda_core::model::CaseStatus;
use ronda_core::public_track::PublicStage;
use ronda_core::report::FieldError;
use serde_json::json;

use crate::codes::new_token_secret;
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// What a queued message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// To a reporter: the report was verified and action was requested.
    ReportVerified,
    /// To a reporter: the report's story ended (removed, not a violation, closed).
    ReportCompleted,
    /// To a platform: a new notice.
    NoticeSent,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::ReportVerified => "report.verified",
            MailKind::ReportCompleted => "report.completed",
            MailKind::NoticeSent => "notice.sent",
        }
    }

    fn parse(s: &str) -> Option<MailKind> {
        match s {
            "report.verified" => Some(MailKind::ReportVerified),
            "report.completed" => Some(MailKind::ReportCompleted),
            "notice.sent" => Some(MailKind::NoticeSent),
            _ => None,
        }
    }
}

/// What one pass over the audit log did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Followed {
    /// Events read (the cursor moved by this many).
    pub events: usize,
    /// Messages queued.
    pub queued: usize,
}

/// What a claimed message says, read when it was claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailContent {
    Report {
        to: String,
        tracking_code: String,
        stage: PublicStage,
        /// When the stage was reached (epoch ms).
        at: i64,
    },
    Notice {
        to: String,
        notice_id: i64,
        platform: String,
        category: String,
        legal_basis: String,
        urgent: bool,
        target_kind: String,
        target_value: String,
        created_at: i64,
        deadline: i64,
    },
}

/// One message claimed for sending.
#[derive(Debug, Clone)]
pub struct MailDue {
    pub id: i64,
    pub kind: MailKind,
    pub attempts: i64,
    pub content: MailContent,
    /// Proof of the claim: the outcome is recorded only with it.
    pub claim_token: String,
}

/// How a send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    Failed { error: String, permanent: bool },
}

/// Retries of a failed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailRetry {
    /// First retry delay; doubles per attempt up to an hour.
    pub backoff_ms: i64,
    /// Attempts after which the message is dropped.
    pub max_attempts: i64,
}

/// One row of the mail log (no address: the team sees what was sent and why not, not to whom).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailLogEntry {
    pub id: i64,
    pub kind: String,
    pub ref_id: i64,
    pub stage: Option<String>,
    pub created_at: i64,
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub dropped_at: Option<i64>,
    pub last_error: Option<String>,
}

/// The public stage a case event's after-image shows, if it records a status.
fn stage_of(after_json: Option<&str>) -> Option<PublicStage> {
    let v: serde_json::Value = serde_json::from_str(after_json?).ok()?;
    let status: CaseStatus = v.get("status")?.as_str()?.parse().ok()?;
    Some(PublicStage::of(status))
}

fn queue(
    tx: &mut Tx<'_>,
    kind: MailKind,
    ref_id: i64,
    stage: Option<PublicStage>,
    (seq, at): (i64, i64),
) -> Result<bool> {
    let now = tx.now_ms();
    let n = tx.conn().execute(
        "INSERT INTO mail_outbox (kind, ref_id, stage, event_seq, event_at, created_at, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $6) ON CONFLICT (kind, ref_id) DO NOTHING",
        params![kind.as_str(), ref_id, stage.map(PublicStage::as_str), seq, at, now],
    )?;
    Ok(n > 0)
}

fn notice_email_check(raw: Option<&str>) -> Result<Option<String>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match email_in(raw) {
        Some(a) if a == raw => Ok(Some(a.to_string())),
        _ => Err(FieldError::new(
            "invalid",
            "notice_email",
            "one e-mail address, such as trust-safety@platform.example",
        )
        .into()),
    }
}

impl Store {
    /// Reads up to `batch` audit events after the cursor and queues the mail they call for
    /// (see the module docs).
    pub async fn follow_mail_events(&self, stale_ms: i64, batch: i64) -> Result<Followed> {
        // Nothing new (the usual case between two passes): no write transaction at all.
        let reader = self.clone();
        let (cursor, newest) = tokio::task::spawn_blocking(move || {
            reader.read(|c| {
                let r = c.query_one(
                    "SELECT (SELECT last_seq FROM mail_cursor WHERE id = 1), (SELECT MAX(seq) FROM audit_events)",
                    params![],
                )?;
                Ok((r.opt_i64(0)?, r.opt_i64(1)?.unwrap_or(0)))
            })
        })
        .await
        .map_err(|_| StoreError::Closed)??;
        if cursor.is_some_and(|c| c >= newest) {
            return Ok(Followed::default());
        }
        let store = self.clone();
        self.write(1, move |tx| {
            // Lock the cursor row first: instances following together take turns.
            let held = tx
                .conn()
                .execute("UPDATE mail_cursor SET last_seq = last_seq WHERE id = 1", params![])?;
            if held == 0 {
                // (`WHERE 1 = 1`: SQLite reads `ON CONFLICT` after a bare `FROM` as a join.)
                tx.conn().execute(
                    "INSERT INTO mail_cursor (id, last_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM audit_events WHERE 1 = 1 \
                     ON CONFLICT (id) DO NOTHING",
                    params![],
                )?;
                return Ok(Followed::default());
            }
            let cursor = tx
                .conn()
                .query_one("SELECT last_seq FROM mail_cursor WHERE id = 1", params![])?
                .i64(0)?;
            let events = tx.conn().query(
                "SELECT seq, at, action, target, after_json FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
                params![cursor, batch.max(1)],
            )?;
            let oldest = tx.now_ms().saturating_sub(stale_ms);
            let mut out = Followed { events: events.len(), queued: 0 };
            let mut last = cursor;
            for e in &events {
                let (seq, at) = (e.i64(0)?, e.i64(1)?);
                last = seq;
                if at < oldest {
                    continue;
                }
                let (action, target) = (e.str(2)?, e.str(3)?);
                if action == "notice.sent" {
                    let Some(id) = target.strip_prefix("notice:").and_then(|s| s.parse::<i64>().ok()) else {
                        continue;
                    };
                    let has_address = tx
                        .conn()
                        .query_opt(
                            "SELECT p.notice_email FROM notices n JOIN platforms p ON p.id = n.platform_id WHERE n.id = $1",
                            params![id],
                        )?
                        .and_then(|r| r.opt_string(0).ok().flatten())
                        .is_some();
                    if has_address && queue(tx, MailKind::NoticeSent, id, None, (seq, at))? {
                        out.queued += 1;
                    }
                    continue;
                }
                let Some(case_id) = target.strip_prefix("case:").and_then(|s| s.parse::<i64>().ok()) else {
                    continue;
                };
                let stage = stage_of(e.opt_str(4)?);
                let kind = match stage {
                    Some(PublicStage::ActionRequested) => MailKind::ReportVerified,
                    Some(s) if s.is_final() => MailKind::ReportCompleted,
                    _ => continue,
                };
                let reports = tx.conn().query(
                    "SELECT id, reporter_contact FROM reports WHERE case_id = $1 \
                     AND tracking_code IS NOT NULL AND reporter_contact IS NOT NULL",
                    params![case_id],
                )?;
                for r in &reports {
                    let report_id = r.i64(0)?;
                    let contact = match store.unseal(r.str(1)?) {
                        Ok(c) => c,
                        Err(err) => {
                            tracing::warn!(report_id, error = %err, "a reporter contact does not unseal; no mail");
                            continue;
                        }
                    };
                    if email_in(&contact).is_some() && queue(tx, kind, report_id, stage, (seq, at))? {
                        out.queued += 1;
                    }
                }
            }
            tx.conn().execute(
                "UPDATE mail_cursor SET last_seq = $1 WHERE id = 1",
                params![last],
            )?;
            Ok(out)
        })
        .await
    }

    /// Claims the oldest due message for `lease_ms` (see the module docs); `None` when nothing
    /// is due. A message whose recipient is gone is dropped and the next one tried.
    pub async fn claim_mail(&self, lease_ms: i64) -> Result<Option<MailDue>> {
        let store = self.clone();
        self.write(1, move |tx| {
            let now = tx.now_ms();
            let skip_locked = if tx.conn().backend() == crate::db::Backend::Postgres {
                " FOR UPDATE SKIP LOCKED"
            } else {
                ""
            };
            loop {
                let row = tx.conn().query_opt(
                    &format!(
                        "SELECT id, kind, ref_id, stage, event_at, attempts FROM mail_outbox \
                         WHERE sent_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= $1 \
                         AND (claimed_until IS NULL OR claimed_until < $1) \
                         ORDER BY next_attempt_at, id LIMIT 1{skip_locked}"
                    ),
                    params![now],
                )?;
                let Some(r) = row else { return Ok(None) };
                let id = r.i64(0)?;
                let stage = r.opt_str(3)?.and_then(PublicStage::parse);
                let read = content_of(tx, &store, r.str(1)?, r.i64(2)?, stage, r.i64(4)?)?;
                let (kind, content) = match read {
                    Ok(found) => found,
                    Err(why) => {
                        tx.conn().execute(
                            "UPDATE mail_outbox SET dropped_at = $2, last_error = $3 WHERE id = $1",
                            params![id, now, &why],
                        )?;
                        continue;
                    }
                };
                let claim_token = new_token_secret();
                tx.conn().execute(
                    "UPDATE mail_outbox SET claimed_until = $2, claim_token = $3 WHERE id = $1",
                    params![id, now.saturating_add(lease_ms), &claim_token],
                )?;
                return Ok(Some(MailDue {
                    id,
                    kind,
                    attempts: r.i64(5)?,
                    content,
                    claim_token,
                }));
            }
        })
        .await
    }
}

/// The recipient and contents of a queued message, or why it cannot be sent.
fn content_of(
    tx: &mut Tx<'_>,
    store: &Store,
    kind: &str,
    ref_id: i64,
    stage: Option<PublicStage>,
    event_at: i64,
) -> Result<std::result::Result<(MailKind, MailContent), String>> {
    let Some(kind) = MailKind::parse(kind) else {
        return Ok(Err(format!("unknown kind `{kind}`")));
    };
    if kind == MailKind::NoticeSent {
        let row = tx.conn().query_opt(
            "SELECT p.notice_email, p.display_name, n.category, n.legal_basis, n.urgent, n.target_kind, \
             n.target_value, n.created_at, n.deadline FROM notices n JOIN platforms p ON p.id = n.platform_id \
             WHERE n.id = $1",
            params![ref_id],
        )?;
        let Some(r) = row else {
            return Ok(Err("the notice no longer exists".into()));
        };
        let Some(to) = r.opt_string(0)? else {
            return Ok(Err("the platform has no notice address any more".into()));
        };
        return Ok(Ok((
            kind,
            MailContent::Notice {
                to,
                notice_id: ref_id,
                platform: r.string(1)?,
                category: r.string(2)?,
                legal_basis: r.string(3)?,
                urgent: r.i64(4)? != 0,
                target_kind: r.string(5)?,
                target_value: r.string(6)?,
                created_at: r.i64(7)?,
                deadline: r.i64(8)?,
            },
        )));
    }
    let row = tx.conn().query_opt(
        "SELECT reporter_contact, tracking_code FROM reports WHERE id = $1",
        params![ref_id],
    )?;
    let (Some(sealed), Some(tracking_code)) = (
        row.as_ref().map(|r| r.opt_string(0)).transpose()?.flatten(),
        row.as_ref().map(|r| r.opt_string(1)).transpose()?.flatten(),
    ) else {
        return Ok(Err("the reporter's contact was removed".into()));
    };
    let contact = match store.unseal(&sealed) {
        Ok(c) => c,
        Err(_) => {
            return Ok(Err(
                "the reporter's contact does not unseal with this database's key".into(),
            ));
        }
    };
    let Some(to) = email_in(&contact) else {
        return Ok(Err("the reporter's contact holds no e-mail address".into()));
    };
    let Some(stage) = stage else {
        return Ok(Err("no stage recorded".into()));
    };
    Ok(Ok((
        kind,
        MailContent::Report {
            to: to.to_string(),
            tracking_code,
            stage,
            at: event_at,
        },
    )))
}

impl Store {
    /// Records how a claimed message's send ended, while `claim_token` still holds it (an
    /// instance that overran its lease changes nothing).
    pub async fn record_mail(
        &self,
        id: i64,
        claim_token: String,
        outcome: MailOutcome,
        retry: MailRetry,
    ) -> Result<()> {
        self.write(1, move |tx| {
            let now = tx.now_ms();
            let Some(row) = tx.conn().query_opt(
                "SELECT attempts, claim_token FROM mail_outbox WHERE id = $1",
                params![id],
            )?
            else {
                return Ok(());
            };
            if row.opt_str(1)? != Some(claim_token.as_str()) {
                tracing::warn!(id, "a mail outcome came after this instance's claim ended");
                return Ok(());
            }
            let attempts = row.i64(0)? + 1;
            match &outcome {
                MailOutcome::Sent => tx.conn().execute(
                    "UPDATE mail_outbox SET attempts = $2, sent_at = $3, last_error = NULL, claimed_until = NULL, \
                     claim_token = NULL WHERE id = $1",
                    params![id, attempts, now],
                )?,
                MailOutcome::Failed { error, permanent } if *permanent || attempts >= retry.max_attempts => {
                    tx.conn().execute(
                        "UPDATE mail_outbox SET attempts = $2, dropped_at = $3, last_error = $4, claimed_until = NULL, \
                         claim_token = NULL WHERE id = $1",
                        params![id, attempts, now, error.as_str()],
                    )?
                }
                MailOutcome::Failed { error, .. } => {
                    let next = now + crate::webhooks::backoff_ms(retry.backoff_ms, attempts - 1);
                    tx.conn().execute(
                        "UPDATE mail_outbox SET attempts = $2, next_attempt_at = $3, last_error = $4, claimed_until = NULL, \
                         claim_token = NULL WHERE id = $1",
                        params![id, attempts, next, error.as_str()],
                    )?
                }
            };
            Ok(())
        })
        .await
    }

    /// The mail log, newest first.
    pub fn mail_log(&self, limit: i64) -> Result<Vec<MailLogEntry>> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id, kind, ref_id, stage, created_at, attempts, sent_at, dropped_at, last_error \
                 FROM mail_outbox ORDER BY id DESC LIMIT $1",
                params![limit],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(MailLogEntry {
                    id: r.i64(0)?,
                    kind: r.string(1)?,
                    ref_id: r.i64(2)?,
                    stage: r.opt_string(3)?,
                    created_at: r.i64(4)?,
                    attempts: r.i64(5)?,
                    sent_at: r.opt_i64(6)?,
                    dropped_at: r.opt_i64(7)?,
                    last_error: r.opt_string(8)?,
                })
            })
            .collect()
    }

    /// Sets (or, with `None` or an empty value, clears) the address a platform's new notices
    /// are mailed to.
    pub async fn set_notice_email(
        &self,
        actor: String,
        platform: String,
        email: Option<String>,
    ) -> Result<Option<String>> {
        let email = notice_email_check(email.as_deref())?;
        self.write(1, move |tx| {
            let pid = tx
                .platform_id(&platform)?
                .ok_or_else(|| StoreError::NotFound(format!("platform {platform}")))?;
            let before = tx
                .conn()
                .query_one(
                    "SELECT notice_email FROM platforms WHERE id = $1",
                    params![pid],
                )?
                .opt_string(0)?;
            tx.conn().execute(
                "UPDATE platforms SET notice_email = $2 WHERE id = $1",
                params![pid, email.as_deref()],
            )?;
            tx.audit(
                &actor,
                "platform.notice_email",
                &format!("platform:{pid}"),
                Some(&json!({"notice_email": before}).to_string()),
                Some(&json!({"notice_email": email}).to_string()),
            )?;
            Ok(email.clone())
        })
        .await
    }

    /// The address a platform's new notices are mailed to, if it set one.
    pub fn notice_email_of(&self, platform: &str) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT notice_email FROM platforms WHERE name = $1",
                params![platform],
            )?
            .map(|r| r.opt_string(0))
            .transpose()?
            .flatten())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_address_is_one_address_or_nothing() {
        assert_eq!(notice_email_check(None).ok(), Some(None));
        assert_eq!(notice_email_check(Some("  ")).ok(), Some(None));
        assert_eq!(
            notice_email_check(Some(" ts@platform.example ")).ok(),
            Some(Some("ts@platform.example".into()))
        );
        for bad in [
            "ts@platform.example, b@platform.example",
            "not an address",
            "ts@localhost",
        ] {
            assert!(notice_email_check(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_case_event_shows_the_stage_its_status_reaches() {
        assert_eq!(
            stage_of(Some(r#"{"status":"notice_sent"}"#)),
            Some(PublicStage::ActionRequested)
        );
        assert_eq!(
            stage_of(Some(r#"{"status":"rejected"}"#)),
            Some(PublicStage::NoAction)
        );
        assert_eq!(stage_of(Some(r#"{"claimed_by":"x"}"#)), None);
        assert_eq!(stage_of(None), None);
        for s in [
            "received",
            "in_review",
            "action_in_progress",
            "removed",
            "no_action",
            "closed",
        ] {
            assert_eq!(PublicStage::parse(s).map(PublicStage::as_str), Some(s));
        }
    }
}
