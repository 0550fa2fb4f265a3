//! The verification queue: `GET /queue`, claims on cases, decisions, and the legal bases a
//! decision may cite; and the ways out of the end states: dispute resolution, close, reopen.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use ronda_core::clock::to_rfc3339;
use ronda_core::model::{CaseStatus, Category};
use ronda_core::report::FieldError;
use ronda_store::notices::Resolution;
use ronda_store::review::{Decided, Decision, Reviewer, Verdict};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use ronda_service::review::{MAX_NOTE_CHARS, Submitted, check_decision};

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::routes::cases::{CaseBody, CaseList};
use crate::routes::notices::NoticeBody;
use crate::state::AppState;

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

/// A decision recorded: the case's new status and the notice a confirmation issued.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecidedBody {
    pub decision_id: i64,
    pub case_id: i64,
    pub status: CaseStatus,
    pub notice_id: Option<i64>,
}

impl From<&Decided> for DecidedBody {
    fn from(d: &Decided) -> Self {
        DecidedBody {
            decision_id: d.decision_id,
            case_id: d.case_id,
            status: d.status,
            notice_id: d.notice_id,
        }
    }
}

/// A case of a bulk decision that could not be decided, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkFailure {
    pub case_id: i64,
    #[serde(flatten)]
    pub error: ErrorBody,
}

/// One case of a bulk decision's answer, in the order of `case_ids`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BulkItem {
    Decided(DecidedBody),
    Failed(BulkFailure),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResults {
    pub results: Vec<BulkItem>,
}

/// A claim on a case: who holds it and until when.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimBody {
    pub case_id: i64,
    pub status: CaseStatus,
    /// Who holds the claim: a token's id, or a console user's id negated.
    pub claimed_by: i64,
    pub expires_at: String,
}

/// A case's status after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseStatusBody {
    pub case_id: i64,
    pub status: CaseStatus,
}

/// A dispute resolved: the case and the notice as they now stand.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeBody {
    pub case_id: i64,
    pub status: CaseStatus,
    pub notice: NoticeBody,
}

/// The legal bases a confirmation may cite (from the configuration).
#[derive(Debug, Serialize, ToSchema)]
pub struct LegalBases {
    pub legal_bases: Vec<LegalBasisBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegalBasisBody {
    pub code: String,
    pub description: String,
}

fn reviewer(caller: &Caller) -> Reviewer {
    Reviewer::token(caller.token.id, caller.actor())
}

fn case_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::not_found("case"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// 1 to 500 (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// The review queue: child-safety cases first, then by priority, oldest first; cases another
/// analyst holds are left out.
#[utoipa::path(get, path = "/queue", tag = "review", params(QueueQuery),
    responses(
        (status = 200, description = "The next cases to review", body = CaseList),
        (status = 422, description = "`invalid` (`limit`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn queue(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<axum::Json<CaseList>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is 1 to 500"));
    }
    let store = st.store.clone();
    let token = caller.token.id;
    let cases = tokio::task::spawn_blocking(move || store.review_queue(token, limit)).await??;
    Ok(axum::Json(CaseList {
        cases: cases.iter().map(CaseBody::staff).collect(),
    }))
}

/// The legal bases a confirmation may cite.
#[utoipa::path(get, path = "/legal-bases", tag = "review",
    responses((status = 200, description = "The configured legal bases", body = LegalBases)))]
pub async fn legal_bases(
    State(st): State<Arc<AppState>>,
    _caller: Caller,
) -> axum::Json<LegalBases> {
    axum::Json(LegalBases {
        legal_bases: st
            .config
            .legal_bases
            .iter()
            .map(|b| LegalBasisBody {
                code: b.code.clone(),
                description: b.description.clone(),
            })
            .collect(),
    })
}

/// Claim a case for review (for `claim_ttl_secs`); two analysts never hold the same case.
#[utoipa::path(post, path = "/cases/{id}/claim", tag = "review", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The claim", body = ClaimBody),
        (status = 404, description = "`not_found`: no such case", body = ErrorBody),
        (status = 409, description = "`conflict`: another analyst holds it; `illegal_transition`: the case is not open for review", body = ErrorBody),
    ))]
pub async fn claim(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ClaimBody>> {
    let ttl = i64::try_from(st.config.claim_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let c = st
        .store
        .claim_case(reviewer(&caller), case_id(&id)?, ttl)
        .await?;
    Ok(axum::Json(ClaimBody {
        case_id: c.case_id,
        status: c.status,
        claimed_by: c.claimed_by,
        expires_at: to_rfc3339(c.expires_at),
    }))
}

/// Release one's claim on a case.
#[utoipa::path(delete, path = "/cases/{id}/claim", tag = "review", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Released"),
        (status = 404, description = "`not_found`: no such case", body = ErrorBody),
        (status = 409, description = "`conflict`: the claim is someone else's", body = ErrorBody),
    ))]
pub async fn release(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    st.store
        .release_case(reviewer(&caller), case_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum VerdictInput {
    Confirm,
    Reject,
}

/// A reviewer's decision on a case. A confirmation cites a legal basis.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
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
    Ok(check_decision(
        &st.config,
        caller.role(),
        Submitted {
            verdict,
            category: body.category,
            legal_basis: body.legal_basis,
            note: body.note,
        },
    )?)
}

/// Confirm or reject a case. A confirmation issues a takedown notice (or waits for a
/// supervisor's approval, for the categories that need one).
#[utoipa::path(post, path = "/cases/{id}/decision", tag = "review", params(("id" = i64, Path)),
    request_body = DecisionInput,
    responses(
        (status = 200, description = "The decision", body = DecidedBody),
        (status = 404, description = "`not_found`: no such case", body = ErrorBody),
        (status = 409, description = "`conflict` (another analyst holds the case), `illegal_transition` (the case is not open for a decision)", body = ErrorBody),
        (status = 422, description = "`required` (`legal_basis` of a confirmation), `invalid` (an unknown legal basis), `too_long` (`note`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn decide(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionInput>,
) -> ApiResult<axum::Json<DecidedBody>> {
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
    Ok(axum::Json(DecidedBody::from(&done)))
}

/// Most cases in one bulk decision.
const MAX_BULK: usize = 500;

/// One decision for many cases.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
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
#[utoipa::path(post, path = "/decisions:bulk", tag = "review", request_body = BulkInput,
    responses(
        (status = 200, description = "One result per case id, in order", body = BulkResults),
        (status = 422, description = "`invalid` (`case_ids`: 1 to 500), and the codes of `POST /cases/{id}/decision`", body = ErrorBody),
    ))]
pub async fn decide_bulk(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<BulkInput>,
) -> ApiResult<axum::Json<BulkResults>> {
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
            Ok(done) => BulkItem::Decided(DecidedBody::from(&done)),
            Err(e) => BulkItem::Failed(BulkFailure {
                case_id: *id,
                error: ApiError::from(e).body(),
            }),
        });
    }
    Ok(axum::Json(BulkResults { results }))
}

/// Confirmations waiting for a supervisor's approval, oldest first (at most 100).
#[utoipa::path(get, path = "/approvals", tag = "review",
    responses((status = 200, description = "The cases waiting for approval", body = CaseList)))]
pub async fn approvals(State(st): State<Arc<AppState>>) -> ApiResult<axum::Json<CaseList>> {
    let store = st.store.clone();
    let cases = tokio::task::spawn_blocking(move || store.approval_queue(100)).await??;
    Ok(axum::Json(CaseList {
        cases: cases.iter().map(CaseBody::staff).collect(),
    }))
}

/// A supervisor's approval or refusal of a confirmation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    approve: bool,
    #[serde(default)]
    note: Option<String>,
}

/// A supervisor approves (the notice goes out) or sends the case back to review.
#[utoipa::path(post, path = "/cases/{id}/approval", tag = "review", params(("id" = i64, Path)),
    request_body = ApprovalInput,
    responses(
        (status = 200, description = "The decision as it now stands", body = DecidedBody),
        (status = 404, description = "`not_found`: no such case", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: the case waits for no approval; `conflict`: the approver made the decision", body = ErrorBody),
        (status = 422, description = "`invalid` (`note` too long), `unknown_field`", body = ErrorBody),
    ))]
pub async fn approve(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ApprovalInput>,
) -> ApiResult<axum::Json<DecidedBody>> {
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
    Ok(axum::Json(DecidedBody::from(&done)))
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

/// How the ministry resolves a platform's dispute: `uphold` or `withdraw` the notice.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeInput {
    /// `uphold` or `withdraw`.
    decision: String,
    #[serde(default)]
    reason: Option<String>,
}

/// A supervisor answers a platform's dispute: `uphold` (the order stands, the ladder resumes) or
/// `withdraw` (the notice is withdrawn, the case closed). The platform hears it by webhook.
#[utoipa::path(post, path = "/cases/{id}/dispute", tag = "review", params(("id" = i64, Path)),
    request_body = DisputeInput,
    responses(
        (status = 200, description = "The case and its notice", body = DisputeBody),
        (status = 404, description = "`not_found`: no such case", body = ErrorBody),
        (status = 409, description = "`illegal_transition`/`conflict`: the case is not disputed", body = ErrorBody),
        (status = 422, description = "`invalid_value` (`decision`), `required`/`invalid` (`reason`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn dispute(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DisputeInput>,
) -> ApiResult<axum::Json<DisputeBody>> {
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
    Ok(axum::Json(DisputeBody {
        case_id: done.case_id,
        status: done.status,
        notice: NoticeBody::from(&done.notice),
    }))
}

/// Why (recorded in the audit log).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    #[serde(default)]
    reason: Option<String>,
}

/// Closes a rejected or removed case.
#[utoipa::path(post, path = "/cases/{id}/close", tag = "review", params(("id" = i64, Path)),
    request_body = ReasonInput,
    responses(
        (status = 200, description = "The case's new status", body = CaseStatusBody),
        (status = 404, description = "`not_found`: no such case", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: not from the case's status", body = ErrorBody),
        (status = 422, description = "`required`/`invalid` (`reason`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn close(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonInput>,
) -> ApiResult<axum::Json<CaseStatusBody>> {
    let reason = reason_of(body.reason)?;
    let id = case_id(&id)?;
    let status = st.store.close_case(reviewer(&caller), id, reason).await?;
    Ok(axum::Json(CaseStatusBody {
        case_id: id,
        status,
    }))
}

/// A supervisor reopens a rejected, removed or closed case for review.
#[utoipa::path(post, path = "/cases/{id}/reopen", tag = "review", params(("id" = i64, Path)),
    request_body = ReasonInput,
    responses(
        (status = 200, description = "The case's new status", body = CaseStatusBody),
        (status = 404, description = "`not_found`: no such case", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: not from the case's status", body = ErrorBody),
        (status = 422, description = "`required`/`invalid` (`reason`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn reopen(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonInput>,
) -> ApiResult<axum::Json<CaseStatusBody>> {
    let reason = reason_of(body.reason)?;
    let id = case_id(&id)?;
    let status = st.store.reopen_case(reviewer(&caller), id, reason).await?;
    Ok(axum::Json(CaseStatusBody {
        case_id: id,
        status,
    }))
}
