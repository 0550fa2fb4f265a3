//! Intake: `POST /reports` and `POST /reports:batch`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ronda_core::model::Source;
use ronda_core::report::{FieldError, ReportInput};
use ronda_service::intake::{Intake, Refusal, Submitter};
use ronda_store::intake::Accepted;
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

/// The caller as the intake service sees it.
fn submitter(caller: &Caller) -> Submitter {
    Submitter::Token {
        actor: caller.actor(),
        token_id: caller.token.id,
        role: caller.role(),
        platform: caller.token.platform.clone(),
    }
}

/// A refusal in the API's shape: an invalid field 4xx, out of scope 403.
pub fn refusal_error(r: Refusal) -> ApiError {
    match r {
        Refusal::Invalid(f) => {
            let mut e = ApiError::from(f);
            // An item that did not parse as a whole names no field.
            e.field = e.field.filter(|f| !f.is_empty());
            e
        }
        Refusal::OutOfScope { field, message } => ApiError::forbidden(message).with_field(field),
    }
}

fn intake(st: &AppState) -> Intake<'_> {
    Intake {
        store: &st.store,
        detector: &st.detector,
    }
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
    // The source the report is counted under (validation refuses a report without one).
    let source = caller
        .role()
        .forced_source()
        .or(input.source)
        .unwrap_or(Source::Patrol);
    let accepted = match intake(&st).submit(input, &submitter(&caller), key).await? {
        Ok(a) => a,
        Err(refusal) => {
            st.metrics.report_refused();
            return Err(refusal_error(refusal));
        }
    };
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
    let items: Vec<Result<ReportInput, Refusal>> = batch
        .reports
        .iter()
        .map(|raw| {
            // A parse error keeps its code, field and message in the item's answer.
            parse_str::<ReportInput>(raw.get()).map_err(|e| {
                Refusal::Invalid(FieldError::new(
                    e.code,
                    e.field.unwrap_or_default(),
                    e.message,
                ))
            })
        })
        .collect();
    let sources: Vec<Option<Source>> = items
        .iter()
        .map(|i| {
            i.as_ref().ok().map(|r| {
                caller
                    .role()
                    .forced_source()
                    .or(r.source)
                    .unwrap_or(Source::Patrol)
            })
        })
        .collect();
    let outcomes = intake(&st).submit_batch(items, &submitter(&caller)).await?;
    let results: Vec<serde_json::Value> = outcomes
        .into_iter()
        .zip(sources)
        .map(|(outcome, source)| match outcome {
            Ok(a) => {
                if let (false, Some(s)) = (a.replayed, source) {
                    st.metrics.report_accepted(s, a.new_case);
                }
                accepted_json(&a)
            }
            Err(r) => {
                st.metrics.report_refused();
                refusal_error(r).body()
            }
        })
        .collect();
    Ok(axum::Json(json!({"results": results})))
}
