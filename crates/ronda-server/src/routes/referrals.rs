//! Police referrals: staff refer a case or an actor under a formal request number; the police
//! role lists its referrals, sees the cases in them and moves their status forward.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use ronda_core::clock::to_rfc3339;
use ronda_core::model::ReferralStatus;
use ronda_store::referrals::{NewReferral, ReferralView, Subject};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::routes::cases::case_json;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/referrals", get(list).post(create))
        .route("/referrals/{id}", get(show))
        .route("/referrals/{id}/status", post(set_status))
}

pub fn referral_json(r: &ReferralView) -> Value {
    let (case_id, actor_id) = match r.subject {
        Subject::Case(id) => (Some(id), None),
        Subject::Actor(id) => (None, Some(id)),
    };
    json!({
        "id": r.id,
        "case_id": case_id,
        "actor_id": actor_id,
        "request_number": r.request_number,
        "status": r.status,
        "note": r.note,
        "created_at": to_rfc3339(r.created_at),
        "updated_at": to_rfc3339(r.updated_at),
        "closed_at": r.closed_at.map(to_rfc3339),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    #[serde(default)]
    case_id: Option<i64>,
    #[serde(default)]
    actor_id: Option<i64>,
    request_number: String,
    #[serde(default)]
    note: Option<String>,
}

async fn create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let subject = match (body.case_id, body.actor_id) {
        (Some(c), None) => Subject::Case(c),
        (None, Some(a)) => Subject::Actor(a),
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "required",
                "a referral names a `case_id` or an `actor_id`",
            )
            .with_field("case_id"));
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "actor_id",
                "a referral names a `case_id` or an `actor_id`, not both",
            ));
        }
    };
    let new = NewReferral {
        subject,
        request_number: body.request_number,
        note: body
            .note
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
    };
    let r = st.store.create_referral(&caller.actor(), new).await?;
    Ok((StatusCode::CREATED, axum::Json(referral_json(&r))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

async fn list(
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<Value>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is 1 to 1000"));
    }
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse::<ReferralStatus>()
                .map_err(|e| ApiError::invalid("status", e.to_string()))?,
        ),
        None => None,
    };
    let store = st.store.clone();
    let list = tokio::task::spawn_blocking(move || store.referrals(status, limit)).await??;
    Ok(axum::Json(json!({
        "referrals": list.iter().map(referral_json).collect::<Vec<_>>(),
    })))
}

async fn show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("referral"))?;
    let store = st.store.clone();
    let found = tokio::task::spawn_blocking(move || {
        let Some(r) = store.referral(id)? else {
            return Ok(None);
        };
        let mut cases = Vec::new();
        for case_id in store.referral_case_ids(&r)? {
            if let Some(c) = store.get_case(case_id)? {
                cases.push(case_json(&c));
            }
        }
        Ok::<_, ronda_store::StoreError>(Some((r, cases)))
    })
    .await??;
    let (r, cases) = found.ok_or_else(|| ApiError::not_found("referral"))?;
    let mut body = referral_json(&r);
    body["cases"] = Value::Array(cases);
    Ok(axum::Json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: ReferralStatus,
    #[serde(default)]
    note: Option<String>,
}

async fn set_status(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<axum::Json<Value>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("referral"))?;
    let note = body
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let r = st
        .store
        .set_referral_status(&caller.actor(), id, body.status, note)
        .await?;
    Ok(axum::Json(referral_json(&r)))
}
