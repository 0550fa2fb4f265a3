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
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;
use ronda_service::config::IpNet;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/public/reports",
            post(create).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .route("/public/reports/{code}", get(status))
}

/// The client's address: the socket peer; with `trust_forwarded_for`, the rightmost
/// `X-Forwarded-For` address that is not a trusted proxy (the leftmost entries are whatever
/// the client chose to send).
fn client_ip(st: &AppState, req: &Request) -> IpAddr {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    if !st.config.trust_forwarded_for {
        return peer;
    }
    let trusted: Vec<IpNet> = st
        .config
        .trusted_proxies
        .iter()
        .filter_map(|p| IpNet::parse(p))
        .collect();
    forwarded_client(
        req.headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
        &trusted,
    )
    .unwrap_or(peer)
}

/// The rightmost address of the `X-Forwarded-For` values (in order) that no trusted proxy
/// holds; `None` when there is none (or a hop does not parse: the chain cannot be followed).
fn forwarded_client<'a>(
    values: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let hops: Vec<&str> = values.flat_map(|v| v.split(',')).collect();
    for hop in hops.iter().rev() {
        let ip: IpAddr = hop.trim().parse().ok()?;
        if !trusted.iter().any(|t| t.contains(ip)) {
            return Some(ip);
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let none: Vec<IpNet> = Vec::new();
        assert_eq!(
            forwarded_client(["6.6.6.6, 127.0.0.1"].into_iter(), &none),
            Some(ip("127.0.0.1"))
        );
        let proxies = vec![
            IpNet::parse("10.0.0.0/8").unwrap(),
            IpNet::parse("127.0.0.1").unwrap(),
        ];
        assert_eq!(
            forwarded_client(
                ["6.6.6.6, 203.0.113.9, 10.1.2.3", "127.0.0.1"].into_iter(),
                &proxies
            ),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(forwarded_client(["10.0.0.1"].into_iter(), &proxies), None);
        assert_eq!(
            forwarded_client(["junk, 10.0.0.1"].into_iter(), &proxies),
            None
        );
        assert!(IpNet::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(!IpNet::parse("10.0.0.0/8").unwrap().contains(ip("11.0.0.1")));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(IpNet::parse("10.0.0.0/33").is_none());
    }
}
