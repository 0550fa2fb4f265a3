//! Takedown notices: staff listing, the platform API (a platform token sees only its own
//! notices; another platform's is a 404) with idempotent answers, and removal re-checks.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use ronda_core::clock::to_rfc3339;
use ronda_core::wib::to_jakarta;
use ronda_store::notices::{NoticeView, Recheck, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::routes::cases::TargetBody;
use crate::routes::review::CaseStatusBody;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/notices", get(staff_list))
        .route("/notices/{id}", get(staff_show))
        .route("/platform/notices", get(platform_list))
        .route("/platform/notices/{id}", get(platform_show))
        .route("/platform/notices/{id}/response", post(respond))
        .route("/cases/{id}/recheck", post(recheck))
}

/// Where a notice stands on the escalation ladder.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationBody {
    pub step: String,
    pub at: Option<String>,
}

/// The platform's answer to a notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeResponseBody {
    pub action: String,
    pub reason: Option<String>,
    pub at: Option<String>,
}

/// How the ministry resolved a dispute: `upheld` or `withdrawn`, why and when.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeResolutionBody {
    pub resolution: String,
    pub reason: String,
    pub at: String,
}

/// A takedown notice to a platform. Times are RFC 3339, UTC; `deadline_local` is the deadline
/// in Jakarta time (WIB).
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeBody {
    pub id: i64,
    pub case_id: i64,
    pub platform: String,
    pub status: String,
    pub category: String,
    pub legal_basis: String,
    pub urgent: bool,
    pub target: TargetBody,
    /// What the platform acts on: the content summary, report counts, first and last seen.
    pub evidence: Value,
    pub created_at: String,
    pub deadline: String,
    pub deadline_local: String,
    pub escalation: EscalationBody,
    pub response: Option<NoticeResponseBody>,
    pub closed_at: Option<String>,
    pub dispute_resolution: Option<DisputeResolutionBody>,
}

impl From<&NoticeView> for NoticeBody {
    fn from(n: &NoticeView) -> Self {
        let mut evidence: Value = serde_json::from_str(&n.evidence).unwrap_or(Value::Null);
        for key in ["first_reported_at", "last_reported_at"] {
            if let Some(ms) = evidence[key].as_i64() {
                evidence[key] = Value::String(to_rfc3339(ms));
            }
        }
        NoticeBody {
            id: n.id,
            case_id: n.case_id,
            platform: n.platform.clone(),
            status: n.status.clone(),
            category: n.category.clone(),
            legal_basis: n.legal_basis.clone(),
            urgent: n.urgent,
            target: TargetBody::new(&n.target_kind, &n.target_value),
            evidence,
            created_at: to_rfc3339(n.created_at),
            deadline: to_rfc3339(n.deadline),
            deadline_local: to_jakarta(n.deadline),
            escalation: EscalationBody {
                step: n.escalation_step.clone(),
                at: n.escalation_at.map(to_rfc3339),
            },
            response: n.response_action.as_ref().map(|a| NoticeResponseBody {
                action: a.clone(),
                reason: n.response_reason.clone(),
                at: n.responded_at.map(to_rfc3339),
            }),
            closed_at: n.closed_at.map(to_rfc3339),
            dispute_resolution: n.dispute.as_ref().map(|(resolution, reason, at)| {
                DisputeResolutionBody {
                    resolution: resolution.clone(),
                    reason: reason.clone(),
                    at: to_rfc3339(*at),
                }
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeList {
    pub notices: Vec<NoticeBody>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The platform's name (staff only; a platform token sees its own).
    #[serde(default)]
    platform: Option<String>,
    /// A notice status (`sent`, `acknowledged`, `removed`, …).
    #[serde(default)]
    status: Option<String>,
    /// 1 to 1000 (default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// The query of `GET /platform/notices`: a platform always sees its own.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlatformListQuery {
    /// A notice status.
    #[serde(default)]
    status: Option<String>,
    /// 1 to 1000 (default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

async fn list_for(
    st: &AppState,
    platform: Option<String>,
    status: Option<String>,
    limit: Option<usize>,
) -> ApiResult<axum::Json<NoticeList>> {
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is 1 to 1000"));
    }
    let store = st.store.clone();
    let status = status.filter(|s| !s.is_empty());
    let list = tokio::task::spawn_blocking(move || {
        store.notices(platform.as_deref(), status.as_deref(), limit)
    })
    .await??;
    Ok(axum::Json(NoticeList {
        notices: list.iter().map(NoticeBody::from).collect(),
    }))
}

/// Notices, newest first.
#[utoipa::path(get, path = "/notices", tag = "notices", params(ListQuery),
    responses(
        (status = 200, description = "The notices", body = NoticeList),
        (status = 422, description = "`invalid` (`limit`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn staff_list(
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<NoticeList>> {
    let platform = q.platform.clone().filter(|p| !p.is_empty());
    list_for(&st, platform, q.status, q.limit).await
}

/// The calling platform's notices, newest first.
#[utoipa::path(get, path = "/platform/notices", tag = "platform", params(PlatformListQuery),
    responses(
        (status = 200, description = "The platform's notices", body = NoticeList),
        (status = 422, description = "`invalid` (`limit`), `unknown_field` (`platform` included: a platform token always sees its own)", body = ErrorBody),
    ))]
pub async fn platform_list(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PlatformListQuery>,
) -> ApiResult<axum::Json<NoticeList>> {
    let own = caller.platform_scope().map(str::to_string);
    list_for(&st, own, q.status, q.limit).await
}

async fn find(st: &AppState, id: &str, platform: Option<&str>) -> ApiResult<NoticeView> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("notice"))?;
    let store = st.store.clone();
    let n = tokio::task::spawn_blocking(move || store.notice(id)).await??;
    n.filter(|n| platform.is_none_or(|p| p == n.platform))
        .ok_or_else(|| ApiError::not_found("notice"))
}

/// One notice.
#[utoipa::path(get, path = "/notices/{id}", tag = "notices", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The notice", body = NoticeBody),
        (status = 404, description = "`not_found`: no such notice", body = ErrorBody),
    ))]
pub async fn staff_show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<NoticeBody>> {
    Ok(axum::Json(NoticeBody::from(&find(&st, &id, None).await?)))
}

/// One of the calling platform's notices.
#[utoipa::path(get, path = "/platform/notices/{id}", tag = "platform", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The notice", body = NoticeBody),
        (status = 404, description = "`not_found`: no such notice (another platform's is not found either)", body = ErrorBody),
    ))]
pub async fn platform_show(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<NoticeBody>> {
    Ok(axum::Json(NoticeBody::from(
        &find(&st, &id, caller.platform_scope()).await?,
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum ActionInput {
    Acknowledged,
    Removed,
    Refused,
    Disputed,
}

/// A platform's answer to a notice; a refusal or dispute states its reason.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    action: ActionInput,
    #[serde(default)]
    reason: Option<String>,
}

/// Answer a notice: acknowledged, removed, refused or disputed.
#[utoipa::path(post, path = "/platform/notices/{id}/response", tag = "platform", params(("id" = i64, Path)),
    request_body = ResponseInput,
    responses(
        (status = 200, description = "The notice with its answer", body = NoticeBody),
        (status = 404, description = "`not_found`: no such notice", body = ErrorBody),
        (status = 409, description = "`illegal_transition`/`conflict`: the notice does not take this answer now", body = ErrorBody),
        (status = 422, description = "`required` (`reason` of a refusal or dispute), `invalid` (`reason` too long), `unknown_field`", body = ErrorBody),
    ))]
pub async fn respond(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResponseInput>,
) -> ApiResult<axum::Json<NoticeBody>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("notice"))?;
    let action = match body.action {
        ActionInput::Acknowledged => Response::Acknowledged,
        ActionInput::Removed => Response::Removed,
        ActionInput::Refused => Response::Refused,
        ActionInput::Disputed => Response::Disputed,
    };
    let reason = ronda_service::notices::check_answer(action, body.reason.as_deref())?;
    let platform = caller.platform_scope().map(str::to_string);
    let n = st
        .store
        .respond_to_notice(caller.actor(), platform, id, action, reason)
        .await?;
    Ok(axum::Json(NoticeBody::from(&n)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RecheckInput {
    Removed,
    StillOnline,
    Unreachable,
}

/// What a re-visit of the reported address found.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecheckBody {
    result: RecheckInput,
}

/// Record a re-check of a removal.
#[utoipa::path(post, path = "/cases/{id}/recheck", tag = "notices", params(("id" = i64, Path)),
    request_body = RecheckBody,
    responses(
        (status = 200, description = "The case's status after the re-check", body = CaseStatusBody),
        (status = 404, description = "`not_found`: no such case", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: the case is not awaiting a re-check", body = ErrorBody),
        (status = 422, description = "`invalid` (`result`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn recheck(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RecheckBody>,
) -> ApiResult<axum::Json<CaseStatusBody>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("case"))?;
    let result = match body.result {
        RecheckInput::Removed => Recheck::Removed,
        RecheckInput::StillOnline => Recheck::StillOnline,
        RecheckInput::Unreachable => Recheck::Unreachable,
    };
    let status = st.store.recheck_case(caller.actor(), id, result).await?;
    Ok(axum::Json(CaseStatusBody {
        case_id: id,
        status,
    }))
}
