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
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
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

/// A report taken in: its id and the case it joined.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedBody {
    pub report_id: i64,
    pub case_id: i64,
    /// Whether this report opened the case.
    pub new_case: bool,
}

impl From<&Accepted> for AcceptedBody {
    fn from(a: &Accepted) -> Self {
        AcceptedBody {
            report_id: a.report_id,
            case_id: a.case_id,
            new_case: a.new_case,
        }
    }
}

/// One item of a batch's answer, in the order of the request: taken in, or refused.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchItem {
    Accepted(AcceptedBody),
    Refused(ErrorBody),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResults {
    pub results: Vec<BatchItem>,
}

/// A batch of reports: each is a `ReportInput`, parsed and judged on its own.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct BatchInput {
    pub reports: Vec<ReportInput>,
}

/// Submit one report.
///
/// The report joins the open case of its target (an account or a URL on a platform) or opens
/// one. An `Idempotency-Key` header makes a retry answer the first submission again (with
/// `Idempotent-Replayed: true`).
#[utoipa::path(post, path = "/reports", tag = "intake", request_body = ReportInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 200 visible ASCII characters")),
    responses(
        (status = 201, description = "Taken in", body = AcceptedBody),
        (status = 403, description = "`forbidden`: the report is outside the token's scope (a platform token reporting another platform)", body = ErrorBody),
        (status = 422, description = "`invalid`, `invalid_value`, `required`, `too_long`, `unknown_field`, `too_many`: a field is wrong (named in `field`)", body = ErrorBody),
    ))]
pub async fn create(
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
    let mut resp = (
        StatusCode::CREATED,
        axum::Json(AcceptedBody::from(&accepted)),
    )
        .into_response();
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

/// Submit up to `max_batch_items` reports at once.
///
/// Each item is judged on its own: a bad item is refused in its place in `results` and the
/// others are taken in.
#[utoipa::path(post, path = "/reports:batch", tag = "intake", request_body = BatchInput,
    responses(
        (status = 200, description = "One result per item, in order", body = BatchResults),
        (status = 422, description = "`too_many` (field `reports`), `unknown_field`, `invalid`: the envelope is wrong", body = ErrorBody),
    ))]
pub async fn create_batch(
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
    let results: Vec<BatchItem> = outcomes
        .into_iter()
        .zip(sources)
        .map(|(outcome, source)| match outcome {
            Ok(a) => {
                if let (false, Some(s)) = (a.replayed, source) {
                    st.metrics.report_accepted(s, a.new_case);
                }
                BatchItem::Accepted(AcceptedBody::from(&a))
            }
            Err(r) => {
                st.metrics.report_refused();
                BatchItem::Refused(refusal_error(r).body())
            }
        })
        .collect();
    Ok(axum::Json(BatchResults { results }))
}
