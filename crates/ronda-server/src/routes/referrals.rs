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
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::routes::cases::CaseBody;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/referrals", get(list).post(create))
        .route("/referrals/{id}", get(show))
        .route("/referrals/{id}/status", post(set_status))
}

/// A referral to the police of a case or an actor.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralBody {
    pub id: i64,
    pub case_id: Option<i64>,
    pub actor_id: Option<i64>,
    /// The police unit's request number.
    pub request_number: String,
    pub status: ReferralStatus,
    pub note: Option<String>,
    /// The police unit it is addressed to; absent: every unit.
    pub unit: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

impl From<&ReferralView> for ReferralBody {
    fn from(r: &ReferralView) -> Self {
        let (case_id, actor_id) = match r.subject {
            Subject::Case(id) => (Some(id), None),
            Subject::Actor(id) => (None, Some(id)),
        };
        ReferralBody {
            id: r.id,
            case_id,
            actor_id,
            request_number: r.request_number.clone(),
            status: r.status,
            note: r.note.clone(),
            unit: r.unit.clone(),
            created_at: to_rfc3339(r.created_at),
            updated_at: to_rfc3339(r.updated_at),
            closed_at: r.closed_at.map(to_rfc3339),
        }
    }
}

/// A referral with the cases it opens to the police.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralDetail {
    #[serde(flatten)]
    pub referral: ReferralBody,
    pub cases: Vec<CaseBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralList {
    pub referrals: Vec<ReferralBody>,
}

/// A new referral: of a case or of an actor (one of the two), under the police's request
/// number.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    #[serde(default)]
    case_id: Option<i64>,
    #[serde(default)]
    actor_id: Option<i64>,
    request_number: String,
    #[serde(default)]
    note: Option<String>,
    /// The police unit it is addressed to (as police users' `unit`); absent: every unit.
    #[serde(default)]
    unit: Option<String>,
}

/// Refer a case or an actor to the police.
#[utoipa::path(post, path = "/referrals", tag = "referrals", request_body = CreateBody,
    responses(
        (status = 201, description = "Referred", body = ReferralBody),
        (status = 404, description = "`not_found`: no such case or actor", body = ErrorBody),
        (status = 409, description = "`conflict`: the request number is already used by another referral", body = ErrorBody),
        (status = 422, description = "`required` (`case_id` or `actor_id`), `invalid` (both; `request_number`, `note`, `unit`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<(StatusCode, axum::Json<ReferralBody>)> {
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
        unit: body.unit,
    };
    let r = st.store.create_referral(&caller.actor(), new).await?;
    Ok((StatusCode::CREATED, axum::Json(ReferralBody::from(&r))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A referral status.
    #[serde(default)]
    #[param(value_type = Option<ReferralStatus>)]
    status: Option<String>,
    /// 1 to 1000 (default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Referrals, newest first.
#[utoipa::path(get, path = "/referrals", tag = "referrals", params(ListQuery),
    responses(
        (status = 200, description = "The referrals", body = ReferralList),
        (status = 422, description = "`invalid` (`status`, `limit`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<ReferralList>> {
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
    let list = tokio::task::spawn_blocking(move || store.referrals(status, None, limit)).await??;
    Ok(axum::Json(ReferralList {
        referrals: list.iter().map(ReferralBody::from).collect(),
    }))
}

/// One referral with its cases.
#[utoipa::path(get, path = "/referrals/{id}", tag = "referrals", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The referral", body = ReferralDetail),
        (status = 404, description = "`not_found`: no such referral", body = ErrorBody),
    ))]
pub async fn show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ReferralDetail>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("referral"))?;
    let store = st.store.clone();
    let found = tokio::task::spawn_blocking(move || {
        let Some(r) = store.referral(id)? else {
            return Ok(None);
        };
        let mut cases = Vec::new();
        for case_id in store.referral_case_ids(&r)? {
            if let Some(c) = store.get_case(case_id)? {
                cases.push(CaseBody::staff(&c));
            }
        }
        Ok::<_, ronda_store::StoreError>(Some((r, cases)))
    })
    .await??;
    let (r, cases) = found.ok_or_else(|| ApiError::not_found("referral"))?;
    Ok(axum::Json(ReferralDetail {
        referral: ReferralBody::from(&r),
        cases,
    }))
}

/// A referral's next status (forward only) and a note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: ReferralStatus,
    #[serde(default)]
    note: Option<String>,
}

/// Move a referral forward (the police unit's progress).
#[utoipa::path(post, path = "/referrals/{id}/status", tag = "referrals", params(("id" = i64, Path)),
    request_body = StatusBody,
    responses(
        (status = 200, description = "The referral", body = ReferralBody),
        (status = 404, description = "`not_found`: no such referral", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: a referral only moves forward", body = ErrorBody),
        (status = 422, description = "`invalid` (`status`, `note`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn set_status(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<axum::Json<ReferralBody>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("referral"))?;
    let note = body
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let r = st
        .store
        .set_referral_status(&caller.actor(), id, body.status, note)
        .await?;
    Ok(axum::Json(ReferralBody::from(&r)))
}
