//! Actors: `GET /actors/{id}` — the accounts linked into one actor, what they show, their cases
//! and the evidence edges. Staff read everything; the police read the actors referred to them
//! as actors (not through a referral of one of its cases), with phone numbers masked.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use ronda_core::clock::to_rfc3339;
use ronda_core::model::Role;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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

/// `bca:1234567890` → `bca:******7890`: the bank and the last four digits.
pub fn mask_account(value: &str) -> String {
    let (bank, number) = value.split_once(':').unwrap_or(("", value));
    let n = number.chars().count();
    let masked: String = number
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '*' } else { c })
        .collect();
    if bank.is_empty() {
        masked
    } else {
        format!("{bank}:{masked}")
    }
}

/// Masks the number inside a value: a phone itself, an e-wallet keyed by one (`dana:+62…`),
/// a bank account (`bca:…`).
pub fn mask_value(signal: &str, value: &str) -> String {
    match signal {
        "phone" => mask_phone(value),
        "bank" | "bank_account" => mask_account(value),
        "ewallet" => match value.split_once(':') {
            Some((wallet, phone)) => format!("{wallet}:{}", mask_phone(phone)),
            None => mask_phone(value),
        },
        _ => value.to_string(),
    }
}

/// An account of an actor and its status.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorAccount {
    pub account: String,
    pub status: String,
}

/// An identifier an actor's accounts share (masked for roles outside the team).
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorIdentifier {
    pub signal: String,
    pub value: String,
    pub account: String,
}

/// A case of one of the actor's accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorCase {
    pub id: i64,
    pub account: String,
    pub status: String,
    pub priority: String,
    pub recreation: bool,
    pub decision: Option<String>,
    pub legal_basis: Option<String>,
}

/// Why two accounts are linked: a signal they share.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorEvidence {
    pub account: String,
    pub signal: String,
    pub value: String,
    pub with: String,
}

/// An actor: the accounts linking holds to be one offender, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorBody {
    pub id: i64,
    /// The id asked for (an actor merged into this one answers with this one).
    pub requested_id: i64,
    pub merged: Vec<i64>,
    pub created_at: String,
    pub accounts: Vec<ActorAccount>,
    pub identifiers: Vec<ActorIdentifier>,
    pub cases: Vec<ActorCase>,
    pub evidence: Vec<ActorEvidence>,
}

/// An actor with its accounts, shared identifiers, cases and the evidence that links them.
#[utoipa::path(get, path = "/actors/{id}", tag = "cases", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The actor", body = ActorBody),
        (status = 404, description = "`not_found`: no such actor (or not one referred to the police caller)", body = ErrorBody),
    ))]
pub async fn show(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ActorBody>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("actor"))?;
    let store = st.store.clone();
    let police = caller.role() == Role::Police;
    let actor = tokio::task::spawn_blocking(move || {
        let Some(actor) = store.actor(id)? else {
            return Ok(None);
        };
        // The police see the actors referred to them as actors: a referral of one case opens
        // that case, not the actor's other accounts and their cases.
        if police {
            let mut ids = vec![id, actor.id];
            ids.extend(&actor.merged);
            if !store.actor_is_referred(&ids)? {
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
    Ok(axum::Json(ActorBody {
        id: actor.id,
        requested_id: id,
        merged: actor.merged.clone(),
        created_at: to_rfc3339(actor.created_at),
        accounts: actor
            .accounts
            .iter()
            .map(|a| ActorAccount {
                account: a.account.clone(),
                status: a.status.to_string(),
            })
            .collect(),
        identifiers: actor
            .identifiers
            .iter()
            .map(|i| ActorIdentifier {
                signal: i.signal.clone(),
                value: shown(&i.signal, &i.value),
                account: i.account.clone(),
            })
            .collect(),
        cases: actor
            .cases
            .iter()
            .map(|c| ActorCase {
                id: c.case_id,
                account: c.account.clone(),
                status: c.status.to_string(),
                priority: c.priority.to_string(),
                recreation: c.recreation,
                decision: c.decision.clone(),
                legal_basis: c.legal_basis.clone(),
            })
            .collect(),
        evidence: actor
            .evidence
            .iter()
            .map(|e| ActorEvidence {
                account: e.account.clone(),
                signal: e.signal.clone(),
                value: shown(&e.signal, &e.value),
                with: e.with.clone(),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_accounts_keep_the_bank_and_four_digits() {
        assert_eq!(
            mask_value("bank_account", "bca:1234567890"),
            "bca:******7890"
        );
        assert_eq!(mask_value("bank", "1234"), "1234");
    }

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(mask_phone("+6281234567890"), "+62812*****890");
        assert_eq!(
            mask_value("ewallet", "dana:+6281234567890"),
            "dana:+62812*****890"
        );
        assert_eq!(mask_value("bank", "bca:0123456789"), "bca:******6789");
        assert_eq!(mask_phone("12345"), "*****");
    }
}
