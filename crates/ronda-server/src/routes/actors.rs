//! Actors: `GET /actors/{id}` — the accounts linked into one actor, what they show, their cases
//! and the evidence edges. Staff read everything; the police read the actors referred to them
//! (directly or through one of its cases), with phone numbers masked.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use ronda_core::clock::to_rfc3339;
use ronda_core::model::Role;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Analyst, Role::Police];

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/actors/{id}", get(show))
}

/// `+6281234567890` → `+62812*****890`: enough to tell numbers apart, not to call one.
pub fn mask_phone(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let keep_head = 6;
    let keep_tail = 3;
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_head || i >= chars.len() - keep_tail {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// Masks the phone inside a value: a phone itself, or an e-wallet keyed by one (`dana:+62…`).
fn mask_value(signal: &str, value: &str) -> String {
    match signal {
        "phone" => mask_phone(value),
        "ewallet" => match value.split_once(':') {
            Some((wallet, phone)) => format!("{wallet}:{}", mask_phone(phone)),
            None => mask_phone(value),
        },
        _ => value.to_string(),
    }
}

async fn show(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    caller.require(READERS)?;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("actor"))?;
    let store = st.store.clone();
    let police = caller.role() == Role::Police;
    let actor = tokio::task::spawn_blocking(move || {
        let Some(actor) = store.actor(id)? else {
            return Ok(None);
        };
        // The police see the actors they were referred: through the actor or one of its cases.
        if police {
            let mut referred = false;
            for c in &actor.cases {
                if store.case_is_referred(c.case_id)? {
                    referred = true;
                    break;
                }
            }
            if !referred {
                return Ok(None);
            }
        }
        Ok::<_, ronda_store::StoreError>(Some(actor))
    })
    .await??
    .ok_or_else(|| ApiError::not_found("actor"))?;
    let masked = !matches!(
        caller.role(),
        Role::Admin | Role::Supervisor | Role::Analyst
    );
    let shown = |signal: &str, value: &str| {
        if masked {
            mask_value(signal, value)
        } else {
            value.to_string()
        }
    };
    Ok(axum::Json(json!({
        "id": actor.id,
        "requested_id": id,
        "merged": actor.merged,
        "created_at": to_rfc3339(actor.created_at),
        "accounts": actor.accounts.iter().map(|a| json!({"account": a.account, "status": a.status}))
            .collect::<Vec<_>>(),
        "identifiers": actor.identifiers.iter().map(|i| json!({
            "signal": i.signal, "value": shown(&i.signal, &i.value), "account": i.account,
        })).collect::<Vec<_>>(),
        "cases": actor.cases.iter().map(|c| json!({
            "id": c.case_id, "account": c.account, "status": c.status, "priority": c.priority,
            "recreation": c.recreation, "decision": c.decision, "legal_basis": c.legal_basis,
        })).collect::<Vec<_>>(),
        "evidence": actor.evidence.iter().map(|e| json!({
            "account": e.account, "signal": e.signal, "value": shown(&e.signal, &e.value),
            "with": e.with,
        })).collect::<Vec<_>>(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(mask_phone("+6281234567890"), "+62812*****890");
        assert_eq!(
            mask_value("ewallet", "dana:+6281234567890"),
            "dana:+62812*****890"
        );
        assert_eq!(mask_value("bank", "bca:0123456789"), "bca:0123456789");
        assert_eq!(mask_phone("12345"), "*****");
    }
}
