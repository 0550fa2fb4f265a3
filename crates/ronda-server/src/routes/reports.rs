//! Intake: `POST /reports` and `POST /reports:batch`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ronda_core::report::{FieldError, ReportInput, ValidReport};
use ronda_store::intake::{Accepted, IntakeContext};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, parse_str};
use crate::state::AppState;

const MAX_IDEMPOTENCY_KEY: usize = 200;

pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let cfg = &state.config;
    Router::new()
        .route(
            "/reports",
            post(create).layer(DefaultBodyLimit::max(cfg.max_body_bytes)),
        )
        .route(
            "/reports:batch",
            post(create_batch).layer(DefaultBodyLimit::max(cfg.max_batch_body_bytes)),
        )
}

/// Applies what the caller's role implies to a report: a platform reports only as `platform`
/// and only about itself; the police only as `police`.
fn check_scope(caller: &Caller, mut input: ReportInput) -> Result<ValidReport, ApiError> {
    if let Some(forced) = caller.role().forced_source() {
        match input.source {
            Some(s) if s != forced => {
                return Err(ApiError::forbidden(format!(
                    "a {} token reports with source `{forced}`",
                    caller.role()
                ))
                .with_field("source"));
            }
            _ => input.source = Some(forced),
        }
    }
    let report = input.validate(None)?;
    if let Some(own) = caller.platform_scope()
        && report.platform != own
    {
        return Err(
            ApiError::forbidden(format!("this token reports only about platform `{own}`"))
                .with_field("platform"),
        );
    }
    Ok(report)
}

/// Runs the detection engine on a report's text and computes its linking features (intake
/// stores both).
pub fn detect(st: &AppState, report: &mut ValidReport) {
    st.detector.read(report);
}

fn accepted_json(a: &Accepted) -> serde_json::Value {
    json!({"report_id": a.report_id, "case_id": a.case_id, "new_case": a.new_case})
}

async fn create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ReportInput>,
) -> ApiResult<Response> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v.to_str().map_err(|_| {
                ApiError::invalid("Idempotency-Key", "Idempotency-Key must be visible ASCII")
            })?;
            if k.is_empty() || k.len() > MAX_IDEMPOTENCY_KEY {
                return Err(ApiError::invalid(
                    "Idempotency-Key",
                    format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters"),
                ));
            }
            Some(k.to_string())
        }
    };
    let mut report = match check_scope(&caller, input) {
        Ok(r) => r,
        Err(e) => {
            st.metrics.report_refused();
            return Err(e);
        }
    };
    detect(&st, &mut report);
    let source = report.source;
    let ctx = IntakeContext {
        actor: caller.actor(),
        token_id: Some(caller.token.id),
        idempotency_key: key,
    };
    let accepted = st.store.submit_report(report, ctx).await?;
    if !accepted.replayed {
        st.metrics.report_accepted(source, accepted.new_case);
    }
    let mut resp = (StatusCode::CREATED, axum::Json(accepted_json(&accepted))).into_response();
    if accepted.replayed {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody<'a> {
    #[serde(borrow)]
    reports: Vec<&'a RawValue>,
}

async fn create_batch(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    crate::json::require_json(&headers)?;
    let batch: BatchBody<'_> = crate::json::parse_envelope(&body)?;
    let max = st.config.max_batch_items;
    if batch.reports.len() > max {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many",
            format!("a batch holds at most {max} reports"),
        )
        .with_field("reports"));
    }
    // Each item is parsed on its own so that one bad item refuses only itself.
    let mut refusals: Vec<Option<ApiError>> = Vec::with_capacity(batch.reports.len());
    let mut items: Vec<Result<ValidReport, FieldError>> = Vec::with_capacity(batch.reports.len());
    for raw in &batch.reports {
        let checked =
            parse_str::<ReportInput>(raw.get()).and_then(|input| check_scope(&caller, input));
        let checked = checked.map(|mut r| {
            detect(&st, &mut r);
            r
        });
        match checked {
            Ok(r) => {
                items.push(Ok(r));
                refusals.push(None);
            }
            Err(e) => {
                // A placeholder keeps positions aligned; the store passes it through untouched.
                items.push(Err(FieldError::new("refused", "", "")));
                refusals.push(Some(e));
            }
        }
    }
    let sources: Vec<Option<ronda_core::Source>> = items
        .iter()
        .map(|i| i.as_ref().ok().map(|r| r.source))
        .collect();
    let ctx = IntakeContext {
        actor: caller.actor(),
        token_id: Some(caller.token.id),
        idempotency_key: None,
    };
    let outcomes = st.store.submit_batch(items, ctx).await?;
    let results: Vec<serde_json::Value> = outcomes
        .into_iter()
        .zip(refusals)
        .zip(sources)
        .map(|((outcome, refusal), source)| match (refusal, outcome) {
            (Some(e), _) => {
                st.metrics.report_refused();
                e.body()
            }
            (None, Ok(a)) => {
                if let (false, Some(s)) = (a.replayed, source) {
                    st.metrics.report_accepted(s, a.new_case);
                }
                accepted_json(&a)
            }
            (None, Err(f)) => {
                st.metrics.report_refused();
                ApiError::from(f).body()
            }
        })
        .collect();
    Ok(axum::Json(json!({"results": results})))
}
