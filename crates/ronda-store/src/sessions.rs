//! Console sessions, in the store so that every instance serves them. A session is started for
//! a user whose password verified; the cookie carries its random secret (only the SHA-256 is
//! kept, as for API tokens). It lives while it is used within the idle time and never beyond
//! its absolute lifetime; sign-out ends it, and so do disabling its user and resetting their
//! password (in `users.rs`). Each session has its own CSRF token for the forms it renders.
//!
//! Use is recorded at most once a minute ([`TOUCH_EVERY_MS`]): a page view is a read, and only
//! a session seen more than a minute ago costs a write. The idle time is counted from that
//! record, so a session may live up to a minute past its idle limit.

use ronda_core::report::FieldError;
use serde_json::json;

use crate::codes::{new_token_secret, token_hash};
use crate::db::Conn;
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// How often a session's use is written down.
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Without use for this long, a session ends.
    pub idle_ms: i64,
    /// However used, a session ends this long after it started.
    pub absolute_ms: i64,
}

/// A session just started: its secret (for the cookie) exists only here.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: i64,
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// A live session: whose it is (the user, enabled; `Store::user_by_id` reads them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    pub csrf_token: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// Ends every open session of a user (their account was disabled or their password reset).
pub(crate) fn end_all(tx: &mut Tx<'_>, user_id: i64) -> Result<()> {
    end_others(tx, user_id, 0)
}

/// Ends every open session of a user but the session `keep` (they changed their password in
/// it: elsewhere, whoever knew the old one is signed out).
pub(crate) fn end_others(tx: &mut Tx<'_>, user_id: i64, keep: i64) -> Result<()> {
    let now = tx.now_ms();
    tx.conn().execute(
        "UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND id <> $3 AND ended_at IS NULL",
        params![user_id, now, keep],
    )?;
    Ok(())
}

fn live(conn: &mut dyn Conn, secret: &str, now: i64, idle_ms: i64) -> Result<Option<Session>> {
    let row = conn.query_opt(
        "SELECT s.id, s.user_id, s.csrf_token, s.last_seen_at, s.expires_at FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.ended_at IS NULL AND u.disabled_at IS NULL",
        params![&token_hash(secret)],
    )?;
    let Some(row) = row else { return Ok(None) };
    let (last_seen_at, expires_at) = (row.i64(3)?, row.i64(4)?);
    if now >= expires_at || now - last_seen_at >= idle_ms {
        return Ok(None);
    }
    Ok(Some(Session {
        id: row.i64(0)?,
        user_id: row.i64(1)?,
        csrf_token: row.string(2)?,
        last_seen_at,
        expires_at,
    }))
}

impl Store {
    /// Starts a session for the user `user_id` named `name` (whose password was just
    /// verified); audited under the user.
    pub fn start_session_blocking(
        &self,
        user_id: i64,
        name: &str,
        policy: SessionPolicy,
    ) -> Result<NewSession> {
        if policy.idle_ms <= 0 || policy.absolute_ms <= 0 {
            return Err(
                FieldError::new("invalid", "session", "session lifetimes are positive").into(),
            );
        }
        let actor = format!("user:{name}");
        self.write_blocking(1, move |tx| {
            let secret = new_token_secret();
            let csrf_token = new_token_secret();
            let now = tx.now_ms();
            let expires_at = now.saturating_add(policy.absolute_ms);
            let id = tx.conn().insert_id(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
                params![&token_hash(&secret), user_id, csrf_token.as_str(), now, expires_at],
            )?;
            tx.audit(
                &actor,
                "session.started",
                &format!("user:{user_id}"),
                None,
                Some(&json!({"session": id, "expires_at": expires_at}).to_string()),
            )?;
            Ok(NewSession {
                id,
                secret,
                csrf_token,
                expires_at,
            })
        })
    }

    /// The live session of a cookie secret, recording its use when last recorded more than
    /// [`TOUCH_EVERY_MS`] ago. `None`: unknown, ended, idle too long, past its lifetime, or its
    /// user disabled.
    pub fn session_blocking(&self, secret: &str, policy: SessionPolicy) -> Result<Option<Session>> {
        let now = self.now_ms();
        let found = self.read(|conn| live(conn, secret, now, policy.idle_ms))?;
        let Some(session) = found else {
            return Ok(None);
        };
        if now - session.last_seen_at < TOUCH_EVERY_MS {
            return Ok(Some(session));
        }
        let id = session.id;
        self.write_blocking(1, move |tx| {
            let now = tx.now_ms();
            tx.conn().execute(
                "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL",
                params![id, now],
            )?;
            Ok(())
        })?;
        Ok(Some(Session {
            last_seen_at: now,
            ..session
        }))
    }

    /// Sign-out: ends the session of a cookie secret (audited). An unknown or ended one is
    /// not found.
    pub fn end_session_blocking(&self, secret: &str) -> Result<()> {
        let hash = token_hash(secret);
        self.write_blocking(1, move |tx| {
            let row = tx.conn().query_opt(
                "SELECT s.id, s.user_id, u.name FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.ended_at IS NULL",
                params![&hash],
            )?;
            let Some(row) = row else {
                return Err(StoreError::NotFound("session".into()));
            };
            let (id, user_id, name) = (row.i64(0)?, row.i64(1)?, row.string(2)?);
            let now = tx.now_ms();
            tx.conn().execute(
                "UPDATE sessions SET ended_at = $2 WHERE id = $1",
                params![id, now],
            )?;
            tx.audit(
                &format!("user:{name}"),
                "session.ended",
                &format!("user:{user_id}"),
                None,
                Some(&json!({"session": id}).to_string()),
            )?;
            Ok(())
        })
    }

    /// Who is signed in and was seen within `within_ms`, by name, with the cases each holds
    /// under a live claim (the console's "who is online").
    pub fn online_users(&self, within_ms: i64) -> Result<Vec<Online>> {
        let now = self.now_ms();
        self.read(|conn| {
            let users = conn.query(
                "SELECT u.id, u.name, u.role, MAX(s.last_seen_at) FROM sessions s \
                 JOIN users u ON u.id = s.user_id \
                 WHERE s.ended_at IS NULL AND s.expires_at > $1 AND s.last_seen_at > $2 \
                   AND u.disabled_at IS NULL \
                 GROUP BY u.id, u.name, u.role ORDER BY u.name",
                params![now, now.saturating_sub(within_ms)],
            )?;
            let held = conn.query(
                "SELECT claimed_by, id FROM cases \
                 WHERE claimed_by IS NOT NULL AND claimed_by < 0 AND claim_expires_at > $1 \
                 ORDER BY id",
                params![now],
            )?;
            let mut holding: std::collections::HashMap<i64, Vec<i64>> = Default::default();
            for r in &held {
                holding.entry(-r.i64(0)?).or_default().push(r.i64(1)?);
            }
            users
                .iter()
                .map(|r| {
                    let user_id = r.i64(0)?;
                    Ok(Online {
                        user_id,
                        name: r.string(1)?,
                        role: r.parse(2)?,
                        last_seen_at: r.i64(3)?,
                        holding: holding.remove(&user_id).unwrap_or_default(),
                    })
                })
                .collect()
        })
    }
}

/// A user signed in to the console right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Online {
    pub user_id: i64,
    pub name: String,
    pub role: ronda_core::model::Role,
    pub last_seen_at: i64,
    /// The cases they hold, by id.
    pub holding: Vec<i64>,
}
