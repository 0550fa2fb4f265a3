//! Takedown notices: staff listing, the platform API (a platform token sees only its own
//! notices; another platform's is a 404) with idempotent answers, and removal re-checks.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use ronda_core::clock::to_rfc3339;
use ronda_core::wib::to_jakarta;
use ronda_store::notices::{NoticeView, Recheck, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::state::AppState;

const MAX_REASON_CHARS: usize = 4_000;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/notices", get(staff_list))
        .route("/notices/{id}", get(staff_show))
        .route("/platform/notices", get(platform_list))
        .route("/platform/notices/{id}", get(platform_show))
        .route("/platform/notices/{id}/response", post(respond))
        .route("/cases/{id}/recheck", post(recheck))
}

pub fn notice_json(n: &NoticeView) -> Value {
    let mut evidence: Value = serde_json::from_str(&n.evidence).unwrap_or(Value::Null);
    // Notices sent before times were written as RFC 3339 stored epoch milliseconds.
    for key in ["first_reported_at", "last_reported_at"] {
        if let Some(ms) = evidence[key].as_i64() {
            evidence[key] = json!(to_rfc3339(ms));
        }
    }
    json!({
        "id": n.id,
        "case_id": n.case_id,
        "platform": n.platform,
        "status": n.status,
        "category": n.category,
        "legal_basis": n.legal_basis,
        "urgent": n.urgent,
        "target": { n.target_kind.clone(): n.target_value },
        "evidence": evidence,
        "created_at": to_rfc3339(n.created_at),
        "deadline": to_rfc3339(n.deadline),
        "deadline_local": to_jakarta(n.deadline),
        "escalation": {"step": n.escalation_step, "at": n.escalation_at.map(to_rfc3339)},
        "response": n.response_action.as_ref().map(|a| json!({
            "action": a, "reason": n.response_reason, "at": n.responded_at.map(to_rfc3339)})),
        "closed_at": n.closed_at.map(to_rfc3339),
        "dispute_resolution": n.dispute.as_ref().map(|(resolution, reason, at)| json!({
            "resolution": resolution, "reason": reason, "at": to_rfc3339(*at)})),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

async fn list_for(
    st: &AppState,
    platform: Option<String>,
    q: ListQuery,
) -> ApiResult<axum::Json<Value>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is 1 to 1000"));
    }
    let store = st.store.clone();
    let status = q.status.filter(|s| !s.is_empty());
    let list = tokio::task::spawn_blocking(move || {
        store.notices(platform.as_deref(), status.as_deref(), limit)
    })
    .await??;
    Ok(axum::Json(
        json!({"notices": list.iter().map(notice_json).collect::<Vec<_>>()}),
    ))
}

async fn staff_list(
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<Value>> {
    let platform = q.platform.clone().filter(|p| !p.is_empty());
    list_for(&st, platform, q).await
}

async fn platform_list(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<Value>> {
    if q.platform.is_some() {
        return Err(ApiError::invalid(
            "platform",
            "a platform token always sees its own platform",
        ));
    }
    let own = caller.platform_scope().map(str::to_string);
    list_for(&st, own, q).await
}

async fn find(st: &AppState, id: &str, platform: Option<&str>) -> ApiResult<NoticeView> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("notice"))?;
    let store = st.store.clone();
    let n = tokio::task::spawn_blocking(move || store.notice(id)).await??;
    n.filter(|n| platform.is_none_or(|p| p == n.platform))
        .ok_or_else(|| ApiError::not_found("notice"))
}

async fn staff_show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    Ok(axum::Json(notice_json(&find(&st, &id, None).await?)))
}

async fn platform_show(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    Ok(axum::Json(notice_json(
        &find(&st, &id, caller.platform_scope()).await?,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum ActionInput {
    Acknowledged,
    Removed,
    Refused,
    Disputed,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseInput {
    action: ActionInput,
    #[serde(default)]
    reason: Option<String>,
}

async fn respond(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResponseInput>,
) -> ApiResult<axum::Json<Value>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("notice"))?;
    let reason = body
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(ApiError::invalid(
            "reason",
            format!("at most {MAX_REASON_CHARS} characters"),
        ));
    }
    let action = match body.action {
        ActionInput::Acknowledged => Response::Acknowledged,
        ActionInput::Removed => Response::Removed,
        ActionInput::Refused => Response::Refused,
        ActionInput::Disputed => Response::Disputed,
    };
    if matches!(action, Response::Refused | Response::Disputed) && reason.is_none() {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            "a refusal or dispute states its reason",
        )
        .with_field("reason"));
    }
    let platform = caller.platform_scope().map(str::to_string);
    let n = st
        .store
        .respond_to_notice(caller.actor(), platform, id, action, reason)
        .await?;
    Ok(axum::Json(notice_json(&n)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum RecheckInput {
    Removed,
    StillOnline,
    Unreachable,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecheckBody {
    result: RecheckInput,
}

async fn recheck(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RecheckBody>,
) -> ApiResult<axum::Json<Value>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("case"))?;
    let result = match body.result {
        RecheckInput::Removed => Recheck::Removed,
        RecheckInput::StillOnline => Recheck::StillOnline,
        RecheckInput::Unreachable => Recheck::Unreachable,
    };
    let status = st.store.recheck_case(caller.actor(), id, result).await?;
    Ok(axum::Json(json!({"case_id": id, "status": status})))
}
