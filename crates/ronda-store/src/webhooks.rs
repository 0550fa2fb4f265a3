//! Webhooks through a durable outbox: an event is written to `outbox` in the same transaction as
//! the change it reports (so it can be neither lost nor sent for a change that rolled back), and
//! a delivery worker POSTs it until the platform answers 2xx, with backoff, logging every
//! attempt. Nothing in memory matters: a restart resumes from the table.

use ronda_core::report::FieldError;
use serde_json::json;

use crate::codes::new_token_secret;
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// Longest backoff between two attempts.
pub const MAX_BACKOFF_MS: i64 = 3_600_000;

/// Queues `payload` for the platform's webhook, if it has one (inside the caller's transaction).
pub(crate) fn enqueue(
    tx: &mut Tx<'_>,
    platform_id: i64,
    event: &str,
    payload: &serde_json::Value,
) -> Result<()> {
    let has_hook = tx
        .conn()
        .query_opt(
            "SELECT platform_id FROM webhooks WHERE platform_id = $1",
            params![platform_id],
        )?
        .is_some();
    if !has_hook {
        return Ok(());
    }
    let now = tx.now_ms();
    let mut body = payload.clone();
    body["event"] = json!(event);
    tx.conn().execute(
        "INSERT INTO outbox (platform_id, event, payload, created_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, 0, $4)",
        params![platform_id, event, &body.to_string(), now],
    )?;
    Ok(())
}

/// A registered webhook (the secret is shown once, at registration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub url: String,
    pub secret: String,
}

fn check_url(url: &str) -> Result<String> {
    let u = url.trim();
    let ok = (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() <= 2048
        && !u.contains(char::is_whitespace);
    if ok {
        Ok(u.to_string())
    } else {
        Err(FieldError::new(
            "invalid",
            "url",
            "an http(s) URL of at most 2048 characters",
        )
        .into())
    }
}

/// One event due for delivery.
#[derive(Debug, Clone)]
pub struct Due {
    pub outbox_id: i64,
    pub url: String,
    pub secret: String,
    pub payload: String,
    pub attempts: i64,
}

/// One attempt, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub outbox_id: i64,
    pub event: String,
    pub attempt: i64,
    pub at: i64,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub delivered: bool,
}

/// Backoff after `attempts` failures: 1 s, 2 s, 4 s, … capped at an hour (scaled by `base_ms`).
pub fn backoff_ms(base_ms: i64, attempts: i64) -> i64 {
    let shift = u32::try_from(attempts.clamp(0, 30)).unwrap_or(30);
    base_ms.saturating_mul(1_i64 << shift).min(MAX_BACKOFF_MS)
}

impl Store {
    /// Registers (or replaces) a platform's webhook; returns the new signing secret.
    pub async fn register_webhook(
        &self,
        actor: String,
        platform: String,
        url: String,
    ) -> Result<Registered> {
        let url = check_url(&url)?;
        self.write(1, move |tx| {
            let pid = tx
                .platform_id(&platform)?
                .ok_or_else(|| StoreError::NotFound(format!("platform {platform}")))?;
            let secret = new_token_secret().replacen("rnd_", "whsec_", 1);
            let sealed = tx.seal(&secret);
            let now = tx.now_ms();
            tx.conn().execute("DELETE FROM webhooks WHERE platform_id = $1", params![pid])?;
            tx.conn().execute(
                "INSERT INTO webhooks (platform_id, url, secret, created_at) VALUES ($1, $2, $3, $4)",
                params![pid, &url, &sealed, now],
            )?;
            tx.audit(&actor, "webhook.registered", &format!("platform:{pid}"), None, Some(&json!({"url": url}).to_string()))?;
            Ok(Registered { url: url.clone(), secret })
        })
        .await
    }

    /// Events due at `now`, oldest first.
    pub fn due_deliveries(&self, now: i64, limit: i64) -> Result<Vec<Due>> {
        let rows = self.read(|c| {
            c.query(
                "SELECT o.id, w.url, w.secret, o.payload, o.attempts FROM outbox o JOIN webhooks w ON w.platform_id = o.platform_id \
                 WHERE o.delivered_at IS NULL AND o.next_attempt_at <= $1 ORDER BY o.next_attempt_at, o.id LIMIT $2",
                params![now, limit],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(Due {
                    outbox_id: r.i64(0)?,
                    url: r.string(1)?,
                    secret: self.unseal(r.str(2)?)?,
                    payload: r.string(3)?,
                    attempts: r.i64(4)?,
                })
            })
            .collect()
    }

    /// Records one attempt; on failure schedules the next after the backoff.
    pub fn record_delivery_blocking(
        &self,
        outbox_id: i64,
        status: Option<u16>,
        error: Option<String>,
        backoff_base_ms: i64,
    ) -> Result<()> {
        self.write_blocking(1, move |tx| {
            let now = tx.now_ms();
            let attempts = tx
                .conn()
                .query_one("SELECT attempts FROM outbox WHERE id = $1", params![outbox_id])?
                .i64(0)?
                + 1;
            let ok = status.is_some_and(|s| (200..300).contains(&s));
            tx.conn().execute(
                "INSERT INTO webhook_deliveries (outbox_id, attempt, at, status, error) VALUES ($1, $2, $3, $4, $5)",
                params![outbox_id, attempts, now, status.map(i64::from), error.as_deref()],
            )?;
            if ok {
                tx.conn().execute(
                    "UPDATE outbox SET attempts = $2, delivered_at = $3, last_error = NULL WHERE id = $1",
                    params![outbox_id, attempts, now],
                )?;
            } else {
                let next = now + backoff_ms(backoff_base_ms, attempts - 1);
                tx.conn().execute(
                    "UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1",
                    params![outbox_id, attempts, next, error.as_deref().or(Some("non-2xx answer"))],
                )?;
            }
            Ok(())
        })
    }

    /// The delivery log of a platform's webhook, newest first.
    pub fn webhook_attempts(&self, platform: &str, limit: i64) -> Result<Vec<Attempt>> {
        let rows = self.read(|c| {
            c.query(
                "SELECT d.outbox_id, o.event, d.attempt, d.at, d.status, d.error, o.delivered_at FROM webhook_deliveries d \
                 JOIN outbox o ON o.id = d.outbox_id JOIN platforms p ON p.id = o.platform_id \
                 WHERE p.name = $1 ORDER BY d.id DESC LIMIT $2",
                params![platform, limit],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(Attempt {
                    outbox_id: r.i64(0)?,
                    event: r.string(1)?,
                    attempt: r.i64(2)?,
                    at: r.i64(3)?,
                    status: r.opt_i64(4)?,
                    error: r.opt_string(5)?,
                    delivered: r.opt_i64(6)?.is_some(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_ms(1000, 0), 1000);
        assert_eq!(backoff_ms(1000, 3), 8000);
        assert_eq!(backoff_ms(1000, 40), MAX_BACKOFF_MS);
    }
}
