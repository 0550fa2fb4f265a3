//! The verification queue: `GET /queue`, claims on cases, decisions, and the legal bases a
//! decision may cite; and the ways out of the end states: dispute resolution, close, reopen.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use ronda_core::clock::to_rfc3339;
use ronda_core::model::{Category, Role};
use ronda_core::report::FieldError;
use ronda_store::notices::Resolution;
use ronda_store::review::{Decided, Decision, Reviewer, Verdict};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::routes::cases::case_json;
use crate::state::AppState;

const MAX_NOTE_CHARS: usize = 4_000;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/queue", get(queue))
        .route("/legal-bases", get(legal_bases))
        .route("/cases/{id}/claim", post(claim).delete(release))
        .route("/cases/{id}/decision", post(decide))
        .route("/decisions:bulk", post(decide_bulk))
        .route("/approvals", get(approvals))
        .route("/cases/{id}/approval", post(approve))
        .route("/cases/{id}/dispute", post(dispute))
        .route("/cases/{id}/close", post(close))
        .route("/cases/{id}/reopen", post(reopen))
}

fn decided_json(d: &Decided) -> Value {
    json!({
        "decision_id": d.decision_id,
        "case_id": d.case_id,
        "status": d.status,
        "notice_id": d.notice_id,
    })
}

fn reviewer(caller: &Caller) -> Reviewer {
    Reviewer {
        token_id: caller.token.id,
        actor: caller.actor(),
    }
}

fn case_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::not_found("case"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    #[serde(default)]
    limit: Option<usize>,
}

async fn queue(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<axum::Json<Value>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is 1 to 500"));
    }
    let store = st.store.clone();
    let token = caller.token.id;
    let cases = tokio::task::spawn_blocking(move || store.review_queue(token, limit)).await??;
    Ok(axum::Json(
        json!({"cases": cases.iter().map(case_json).collect::<Vec<_>>()}),
    ))
}

async fn legal_bases(State(st): State<Arc<AppState>>, _caller: Caller) -> axum::Json<Value> {
    axum::Json(json!({"legal_bases": st.config.legal_bases}))
}

async fn claim(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let ttl = i64::try_from(st.config.claim_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let c = st
        .store
        .claim_case(reviewer(&caller), case_id(&id)?, ttl)
        .await?;
    Ok(axum::Json(json!({
        "case_id": c.case_id,
        "status": c.status,
        "claimed_by": c.claimed_by,
        "expires_at": to_rfc3339(c.expires_at),
    })))
}

async fn release(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    st.store
        .release_case(reviewer(&caller), case_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum VerdictInput {
    Confirm,
    Reject,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionInput {
    decision: VerdictInput,
    #[serde(default)]
    category: Option<Category>,
    #[serde(default)]
    legal_basis: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// Checks a decision's fields against the configuration and the caller's role.
fn to_decision(st: &AppState, caller: &Caller, body: DecisionInput) -> ApiResult<Decision> {
    let verdict = match body.decision {
        VerdictInput::Confirm => Verdict::Confirm,
        VerdictInput::Reject => Verdict::Reject,
    };
    let legal_basis = body
        .legal_basis
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    match &legal_basis {
        Some(code) if !st.config.legal_bases.iter().any(|b| &b.code == code) => {
            let allowed: Vec<&str> = st
                .config
                .legal_bases
                .iter()
                .map(|b| b.code.as_str())
                .collect();
            return Err(ApiError::invalid(
                "legal_basis",
                format!(
                    "unknown legal basis `{code}`; allowed: {}",
                    allowed.join(", ")
                ),
            ));
        }
        None if verdict == Verdict::Confirm => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "required",
                "a confirmation cites a legal basis (GET /api/v1/legal-bases)",
            )
            .with_field("legal_basis"));
        }
        _ => {}
    }
    let note = body
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
            format!("`note` is longer than {MAX_NOTE_CHARS} characters"),
        )
        .with_field("note"));
    }
    Ok(Decision {
        verdict,
        category: body.category,
        legal_basis,
        note,
        override_claim: matches!(caller.role(), Role::Admin | Role::Supervisor),
        approval_categories: st.config.approval_categories.clone(),
    })
}

async fn decide(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionInput>,
) -> ApiResult<axum::Json<Value>> {
    let d = to_decision(&st, &caller, body)?;
    let done = st
        .store
        .decide_case(
            reviewer(&caller),
            case_id(&id)?,
            d,
            st.config.deadline_policy(),
        )
        .await?;
    Ok(axum::Json(decided_json(&done)))
}

/// Most cases in one bulk decision.
const MAX_BULK: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkInput {
    case_ids: Vec<i64>,
    decision: VerdictInput,
    #[serde(default)]
    category: Option<Category>,
    #[serde(default)]
    legal_basis: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// One decision applied to many cases (e.g. every account of one actor). Each case is decided
/// in its own transaction and answers on its own, in order: a case another analyst holds, or
/// whose status does not allow the decision, fails alone.
async fn decide_bulk(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<BulkInput>,
) -> ApiResult<axum::Json<Value>> {
    if body.case_ids.is_empty() || body.case_ids.len() > MAX_BULK {
        return Err(ApiError::invalid(
            "case_ids",
            format!("give 1 to {MAX_BULK} case ids"),
        ));
    }
    let decision = DecisionInput {
        decision: body.decision,
        category: body.category,
        legal_basis: body.legal_basis,
        note: body.note,
    };
    let d = to_decision(&st, &caller, decision)?;
    let policy = st.config.deadline_policy();
    let pending: Vec<_> = body
        .case_ids
        .iter()
        .map(|id| {
            st.store
                .decide_case(reviewer(&caller), *id, d.clone(), policy.clone())
        })
        .collect();
    let mut results = Vec::with_capacity(pending.len());
    for (id, fut) in body.case_ids.iter().zip(pending) {
        results.push(match fut.await {
            Ok(done) => decided_json(&done),
            Err(e) => {
                let mut v = ApiError::from(e).body();
                v["case_id"] = json!(id);
                v
            }
        });
    }
    Ok(axum::Json(json!({"results": results})))
}

async fn approvals(State(st): State<Arc<AppState>>) -> ApiResult<axum::Json<Value>> {
    let store = st.store.clone();
    let cases = tokio::task::spawn_blocking(move || store.approval_queue(100)).await??;
    Ok(axum::Json(
        json!({"cases": cases.iter().map(case_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalInput {
    approve: bool,
    #[serde(default)]
    note: Option<String>,
}

/// A supervisor approves (the notice goes out) or sends the case back to review.
async fn approve(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ApprovalInput>,
) -> ApiResult<axum::Json<Value>> {
    let note = body
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(ApiError::invalid(
            "note",
            format!("at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let done = st
        .store
        .approve_case(
            reviewer(&caller),
            case_id(&id)?,
            body.approve,
            note,
            st.config.deadline_policy(),
        )
        .await?;
    Ok(axum::Json(decided_json(&done)))
}

/// A reason for a workflow action: required, trimmed, at most [`MAX_NOTE_CHARS`].
fn reason_of(raw: Option<String>) -> ApiResult<String> {
    let reason = raw.map(|r| r.trim().to_string()).unwrap_or_default();
    if reason.is_empty() {
        return Err(ApiError::from(FieldError::new(
            "required",
            "reason",
            "say why (it is recorded in the audit log and, for a dispute, sent to the platform)",
        )));
    }
    if reason.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::invalid(
            "reason",
            format!("at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(reason)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputeInput {
    decision: String,
    #[serde(default)]
    reason: Option<String>,
}

/// A supervisor answers a platform's dispute: `uphold` (the order stands, the ladder resumes) or
/// `withdraw` (the notice is withdrawn, the case closed). The platform hears it by webhook.
async fn dispute(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DisputeInput>,
) -> ApiResult<axum::Json<Value>> {
    let resolution = match body.decision.as_str() {
        "uphold" => Resolution::Uphold,
        "withdraw" => Resolution::Withdraw,
        _ => {
            return Err(ApiError::from(FieldError::new(
                "invalid_value",
                "decision",
                "expected `uphold` or `withdraw`",
            )));
        }
    };
    let reason = reason_of(body.reason)?;
    let done = st
        .store
        .resolve_dispute(caller.actor(), case_id(&id)?, resolution, reason)
        .await?;
    Ok(axum::Json(json!({
        "case_id": done.case_id,
        "status": done.status,
        "notice": crate::routes::notices::notice_json(&done.notice),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonInput {
    #[serde(default)]
    reason: Option<String>,
}

/// Closes a rejected or removed case.
async fn close(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonInput>,
) -> ApiResult<axum::Json<Value>> {
    let reason = reason_of(body.reason)?;
    let id = case_id(&id)?;
    let status = st.store.close_case(reviewer(&caller), id, reason).await?;
    Ok(axum::Json(json!({"case_id": id, "status": status})))
}

/// A supervisor reopens a rejected, removed or closed case for review.
async fn reopen(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonInput>,
) -> ApiResult<axum::Json<Value>> {
    let reason = reason_of(body.reason)?;
    let id = case_id(&id)?;
    let status = st.store.reopen_case(reviewer(&caller), id, reason).await?;
    Ok(axum::Json(json!({"case_id": id, "status": status})))
}
