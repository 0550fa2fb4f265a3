//! Webhooks through a durable outbox: an event is written to `outbox` in the same transaction as
//! the change it reports (so it can be neither lost nor sent for a change that rolled back), and
//! a delivery worker POSTs it until the platform answers 2xx, with backoff, logging every
//! attempt. Nothing in memory matters: a restart resumes from the table.
//!
//! Several instances share the outbox. A delivery worker claims one due row of a platform at a
//! time ([`Store::claim_delivery`]: a lease in the row, taken in a write transaction — on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`), sends it, and records the answer only while it
//! still holds the claim. Each event is therefore sent once while instances live, and again only
//! after the instance holding it died or overran its lease (at least once); the stable
//! `delivery_id` (header `X-Ronda-Delivery`) lets the platform drop such a repeat. Platforms are
//! independent: a slow receiver holds back only its own platform's events. A row whose
//! webhook secret cannot be unsealed is flagged (`flagged_at`) and skipped; it never stops the
//! others.

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
    let delivery_id = new_token_secret().replacen("rnd_", "dlv_", 1);
    tx.conn().execute(
        "INSERT INTO outbox (platform_id, event, payload, created_at, attempts, next_attempt_at, delivery_id) \
         VALUES ($1, $2, $3, $4, 0, $4, $5)",
        params![platform_id, event, &body.to_string(), now, &delivery_id],
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

/// One event claimed for delivery.
#[derive(Debug, Clone)]
pub struct Due {
    pub outbox_id: i64,
    pub platform_id: i64,
    pub url: String,
    pub secret: String,
    pub payload: String,
    pub attempts: i64,
    /// The stable id of the event (`X-Ronda-Delivery`): the same on every attempt.
    pub delivery_id: String,
    /// Proof of the claim: the answer is recorded only with it.
    pub claim_token: String,
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
    /// The event cannot be sent (its secret does not unseal) and is skipped.
    pub flagged: bool,
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

    /// Platforms with an event due at `now` that no live claim holds, except `busy` (those
    /// this instance is already delivering to).
    pub fn due_platforms(&self, now: i64, busy: &[i64]) -> Result<Vec<i64>> {
        let rows = self.read(|c| {
            c.query(
                "SELECT DISTINCT o.platform_id FROM outbox o JOIN webhooks w ON w.platform_id = o.platform_id \
                 WHERE o.delivered_at IS NULL AND o.flagged_at IS NULL AND o.next_attempt_at <= $1 \
                 AND (o.claimed_until IS NULL OR o.claimed_until < $1) LIMIT 1000",
                params![now],
            )
        })?;
        let mut out = Vec::new();
        for r in &rows {
            let p = r.i64(0)?;
            if !busy.contains(&p) {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Claims the platform's oldest due event for `lease_ms` (see the module docs); `None`
    /// when nothing is due or another instance holds it. A row whose secret does not unseal is
    /// flagged and the next one tried.
    pub async fn claim_delivery(&self, platform_id: i64, lease_ms: i64) -> Result<Option<Due>> {
        let store = self.clone();
        self.write(1, move |tx| {
            let now = tx.now_ms();
            let skip_locked = if tx.conn().backend() == crate::db::Backend::Postgres {
                " FOR UPDATE OF o SKIP LOCKED"
            } else {
                ""
            };
            loop {
                let row = tx.conn().query_opt(
                    &format!(
                        "SELECT o.id, w.url, w.secret, o.payload, o.attempts, o.delivery_id FROM outbox o \
                         JOIN webhooks w ON w.platform_id = o.platform_id \
                         WHERE o.platform_id = $1 AND o.delivered_at IS NULL AND o.flagged_at IS NULL \
                         AND o.next_attempt_at <= $2 AND (o.claimed_until IS NULL OR o.claimed_until < $2) \
                         ORDER BY o.next_attempt_at, o.id LIMIT 1{skip_locked}"
                    ),
                    params![platform_id, now],
                )?;
                let Some(r) = row else { return Ok(None) };
                let outbox_id = r.i64(0)?;
                let secret = match store.unseal(r.str(2)?) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(outbox_id, error = %e, "webhook secret does not unseal; event flagged and skipped");
                        let why = "flagged: the webhook secret cannot be unsealed with this database's key; register the webhook again";
                        tx.conn().execute(
                            "UPDATE outbox SET flagged_at = $2, last_error = $3 WHERE id = $1",
                            params![outbox_id, now, why],
                        )?;
                        // In the delivery log too, so the platform and the team see it.
                        tx.conn().execute(
                            "INSERT INTO webhook_deliveries (outbox_id, attempt, at, status, error) VALUES ($1, $2, $3, NULL, $4)",
                            params![outbox_id, r.i64(4)? + 1, now, why],
                        )?;
                        continue;
                    }
                };
                let claim_token = new_token_secret();
                tx.conn().execute(
                    "UPDATE outbox SET claimed_until = $2, claim_token = $3 WHERE id = $1",
                    params![outbox_id, now.saturating_add(lease_ms), &claim_token],
                )?;
                return Ok(Some(Due {
                    outbox_id,
                    platform_id,
                    url: r.string(1)?,
                    secret,
                    payload: r.string(3)?,
                    attempts: r.i64(4)?,
                    delivery_id: r.opt_string(5)?.unwrap_or_else(|| format!("dlv_{outbox_id}")),
                    claim_token,
                }));
            }
        })
        .await
    }

    /// Records one attempt; on failure schedules the next after the backoff.
    /// The attempt is logged in any case; the outbox row changes only while `claim_token`
    /// still holds it (an instance that overran its lease does not undo another's delivery).
    pub async fn record_delivery(
        &self,
        outbox_id: i64,
        claim_token: String,
        status: Option<u16>,
        error: Option<String>,
        backoff_base_ms: i64,
    ) -> Result<()> {
        self.write(1, move |tx| {
            let now = tx.now_ms();
            let row = tx.conn().query_one(
                "SELECT attempts, claim_token FROM outbox WHERE id = $1",
                params![outbox_id],
            )?;
            let attempts = row.i64(0)? + 1;
            let holds = row.opt_str(1)? == Some(claim_token.as_str());
            let ok = status.is_some_and(|s| (200..300).contains(&s));
            tx.conn().execute(
                "INSERT INTO webhook_deliveries (outbox_id, attempt, at, status, error) VALUES ($1, $2, $3, $4, $5)",
                params![outbox_id, attempts, now, status.map(i64::from), error.as_deref()],
            )?;
            if !holds {
                tracing::warn!(outbox_id, "a webhook answer came after this instance's claim ended");
            } else if ok {
                tx.conn().execute(
                    "UPDATE outbox SET attempts = $2, delivered_at = $3, last_error = NULL, claimed_until = NULL, \
                     claim_token = NULL WHERE id = $1",
                    params![outbox_id, attempts, now],
                )?;
            } else {
                let next = now + backoff_ms(backoff_base_ms, attempts - 1);
                tx.conn().execute(
                    "UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4, claimed_until = NULL, \
                     claim_token = NULL WHERE id = $1",
                    params![outbox_id, attempts, next, error.as_deref().or(Some("non-2xx answer"))],
                )?;
            }
            Ok(())
        })
        .await
    }

    /// The URL of a platform's webhook and when it was registered, if it has one.
    pub fn webhook_of(&self, platform: &str) -> Result<Option<(String, i64)>> {
        self.read(|c| {
            c.query_opt(
                "SELECT w.url, w.created_at FROM webhooks w JOIN platforms p ON p.id = w.platform_id \
                 WHERE p.name = $1",
                params![platform],
            )?
            .map(|r| Ok((r.string(0)?, r.i64(1)?)))
            .transpose()
        })
    }

    /// The delivery log of a platform's webhook, newest first.
    pub fn webhook_attempts(&self, platform: &str, limit: i64) -> Result<Vec<Attempt>> {
        let rows = self.read(|c| {
            c.query(
                "SELECT d.outbox_id, o.event, d.attempt, d.at, d.status, d.error, o.delivered_at, o.flagged_at FROM webhook_deliveries d \
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
                    flagged: r.opt_i64(7)?.is_some(),
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
