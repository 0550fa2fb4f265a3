//! The public's door: file a complaint without an account, follow it with a tracking code.
//! Rate-limited per client address; answers reveal nothing but the stage a report is at.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use ronda_core::clock::to_rfc3339;
use ronda_core::model::Source;
use ronda_core::report::ReportInput;
use ronda_store::codes::normalize_tracking_code;
use ronda_store::intake::IntakeContext;
use serde_json::json;

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

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when configured.
fn client_ip(st: &AppState, req: &Request) -> IpAddr {
    if st.config.trust_forwarded_for
        && let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip;
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip())
}

fn limit(st: &AppState, req: &Request) -> Result<(), ApiError> {
    st.public_limiter.check(client_ip(st, req)).map_err(|wait| {
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

async fn create(State(st): State<Arc<AppState>>, req: Request) -> ApiResult<impl IntoResponse> {
    limit(&st, &req)?;
    let ApiJson(input) = ApiJson::<ReportInput>::from_request(req, &st).await?;
    let mut report = input
        .validate(Some(Source::Public))
        .inspect_err(|_| st.metrics.report_refused())?;
    crate::routes::reports::detect(&st, &mut report);
    let ctx = IntakeContext {
        actor: "public".into(),
        token_id: None,
        idempotency_key: None,
    };
    let accepted = st.store.submit_report(report, ctx).await?;
    st.metrics
        .report_accepted(Source::Public, accepted.new_case);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"tracking_code": accepted.tracking_code})),
    ))
}

async fn status(
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
        Some(s) => Ok(axum::Json(json!({
            "tracking_code": code,
            "status": s.status,
            "received_at": to_rfc3339(s.received_at),
        }))),
        None => Err(ApiError::not_found("tracking code")),
    }
}
