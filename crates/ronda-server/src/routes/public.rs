//! The public's door: file a complaint without an account, follow it with a tracking code.
//! Rate-limited per client address; answers reveal nothing but the stage a report is at.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use ronda_core::clock::to_rfc3339;
use ronda_core::model::Source;
use ronda_core::report::ReportInput;
use ronda_store::codes::normalize_tracking_code;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/public/reports",
            post(create).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .route("/public/reports/{code}", get(status))
}

fn limit(st: &AppState, req: &Request) -> Result<(), ApiError> {
    st.public_limiter
        .check(crate::rate_limit::client_ip(
            &st.config,
            req.extensions(),
            req.headers(),
        ))
        .map_err(|wait| {
            st.metrics.rate_limited();
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this address; try again later",
            );
            e.retry_after_secs = Some(wait);
            e
        })
}

/// What a member of the public keeps: the code that follows the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackingBody {
    pub tracking_code: Option<String>,
}

/// The stage a public report is at; nothing else about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatus {
    pub tracking_code: String,
    pub status: String,
    /// RFC 3339, UTC.
    pub received_at: String,
}

/// File a complaint without an account (rate-limited per client address).
#[utoipa::path(post, path = "/public/reports", tag = "public", request_body = ReportInput,
    responses(
        (status = 201, description = "Taken in; keep the tracking code", body = TrackingBody),
        (status = 422, description = "`invalid`, `invalid_value`, `required`, `too_long`, `unknown_field`: a field is wrong", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many requests from this address (see `Retry-After`)", body = ErrorBody),
    ))]
pub async fn create(State(st): State<Arc<AppState>>, req: Request) -> ApiResult<impl IntoResponse> {
    limit(&st, &req)?;
    let ApiJson(input) = ApiJson::<ReportInput>::from_request(req, &st).await?;
    let intake = ronda_service::intake::Intake {
        store: &st.store,
        detector: &st.detector,
    };
    let submitted = intake
        .submit(input, &ronda_service::intake::Submitter::Public, None)
        .await?;
    let accepted = submitted.map_err(|r| {
        st.metrics.report_refused();
        crate::routes::reports::refusal_error(r)
    })?;
    st.metrics
        .report_accepted(Source::Public, accepted.new_case);
    Ok((
        StatusCode::CREATED,
        axum::Json(TrackingBody {
            tracking_code: accepted.tracking_code,
        }),
    ))
}

/// Follow a public report by its tracking code (rate-limited per client address).
#[utoipa::path(get, path = "/public/reports/{code}", tag = "public",
    params(("code" = String, Path, description = "The tracking code, with or without dashes")),
    responses(
        (status = 200, description = "The report's stage", body = PublicStatus),
        (status = 404, description = "`not_found`: no report has this code", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many requests from this address", body = ErrorBody),
    ))]
pub async fn status(
    State(st): State<Arc<AppState>>,
    Path(code): Path<String>,
    req: Request,
) -> ApiResult<impl IntoResponse> {
    limit(&st, &req)?;
    let code = normalize_tracking_code(&code);
    if code.len() > 32 {
        return Err(ApiError::not_found("tracking code"));
    }
    let store = st.store.clone();
    let lookup = code.clone();
    let found = tokio::task::spawn_blocking(move || store.public_report_status(&lookup)).await??;
    match found {
        Some(s) => Ok(axum::Json(PublicStatus {
            tracking_code: code,
            status: s.status.to_string(),
            received_at: to_rfc3339(s.received_at),
        })),
        None => Err(ApiError::not_found("tracking code")),
    }
}
