//! Reading cases: `GET /cases` (filtered, paged) and `GET /cases/{id}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ronda_core::clock::to_rfc3339;
use ronda_core::model::{CaseStatus, Category, Priority, Role, Source};
use ronda_store::banks::CaseMediaMatch;
use ronda_store::cases::{CaseFilter, CaseView, ReportView};

use crate::export::{Format, case_search, export};
use crate::json::ApiQuery;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/cases", get(list))
        .route("/cases.csv", get(list_csv))
        .route("/cases/{id}", get(show))
        .route("/cases/{id}/reports", get(reports))
}

/// The target of a case or notice: `{"account": "rina22"}` or `{"url": "https://…"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl TargetBody {
    pub fn new(kind: &str, value: &str) -> TargetBody {
        let value = Some(value.to_string());
        match kind {
            "url" => TargetBody {
                account: None,
                url: value,
            },
            _ => TargetBody {
                account: value,
                url: None,
            },
        }
    }
}

/// Reports of a case, by who sent them.
#[derive(Debug, Serialize, ToSchema)]
pub struct BySource {
    pub patrol: i64,
    pub police: i64,
    pub public: i64,
    pub platform: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportCounts {
    pub total: i64,
    pub by_source: BySource,
}

/// The strongest detection seen in a case's reports. A platform reads the verdict, category
/// and score only: rule ids and per-category scores would teach evasion.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetectionBody {
    pub verdict: String,
    pub category: Option<String>,
    pub score: f64,
    /// Per-category scores (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Value>,
    /// The rule ids that fired (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Value>,
    /// The minor signal, when the text has one (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minor: Option<Value>,
    /// The sexual signal (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sexual: Option<Value>,
    /// The model that scored it: `registry:<id>`, `file` or `builtin` (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<Value>,
    /// The strongest features behind a non-clear verdict, `[name, contribution to the top
    /// category's logit]`, strongest first (staff only; the rules' spans in the text are each
    /// report's, `GET /cases/{id}/reports`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<Value>,
}

/// A case as the lists and the queue show it. Times are RFC 3339, UTC.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseBody {
    pub id: i64,
    pub status: CaseStatus,
    pub category: Option<Category>,
    pub priority: Priority,
    pub platform: String,
    pub target: TargetBody,
    pub reports: ReportCounts,
    pub first_reported_at: String,
    pub last_reported_at: String,
    pub created_at: String,
    pub updated_at: String,
    /// Why the case is a child-safety case (`bank_match`, `confirmation`, `police_report`,
    /// `claim`, `minor_signal`), when it is.
    pub child_safety: Option<String>,
    /// The start of the latest report's text (staff only; absent for a platform).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub excerpt: Option<Option<String>>,
    pub previous_case_id: Option<i64>,
    pub merged_into: Option<i64>,
    pub actor: Option<i64>,
    /// Whether the case's account re-creates a taken-down account.
    pub recreation: bool,
    pub detection: Option<CaseDetectionBody>,
}

impl CaseBody {
    /// The case as staff see it.
    pub fn staff(c: &CaseView) -> CaseBody {
        CaseBody::of(c, false)
    }

    /// A case as a platform (`platform = true`) or staff sees it. A platform reads neither the
    /// reporters' words (the excerpt) nor how the ministry detects (rule ids and
    /// per-category scores, which would teach evasion); its notices carry the content
    /// summary it acts on.
    pub fn of(c: &CaseView, platform: bool) -> CaseBody {
        let by = &c.reports_by_source;
        CaseBody {
            id: c.id,
            status: c.status,
            category: c.category,
            priority: c.priority,
            platform: c.platform.clone(),
            target: TargetBody::new(&c.target_kind, &c.target_value),
            reports: ReportCounts {
                total: c.reports_total,
                by_source: BySource {
                    patrol: by[0],
                    police: by[1],
                    public: by[2],
                    platform: by[3],
                },
            },
            first_reported_at: to_rfc3339(c.first_reported_at),
            last_reported_at: to_rfc3339(c.last_reported_at),
            created_at: to_rfc3339(c.created_at),
            updated_at: to_rfc3339(c.updated_at),
            child_safety: c.child_safety.map(|t| t.as_str().to_string()),
            excerpt: (!platform).then(|| c.excerpt.clone()),
            previous_case_id: c.previous_case_id,
            merged_into: c.merged_into,
            actor: c.actor_id,
            recreation: c.recreation,
            detection: c.detection.as_ref().map(|d| {
                let mut details: Value = d
                    .details_json
                    .as_deref()
                    .and_then(|j| serde_json::from_str(j).ok())
                    .unwrap_or(Value::Null);
                let mut take = |key: &str| {
                    (!platform).then(|| details.get_mut(key).map(Value::take).unwrap_or_default())
                };
                CaseDetectionBody {
                    verdict: d.verdict.clone(),
                    category: d.category.clone(),
                    score: d.score,
                    scores: take("scores"),
                    rules: take("rules"),
                    minor: take("minor"),
                    sexual: take("sexual"),
                    model: take("model"),
                    features: take("features"),
                }
            }),
        }
    }
}

/// A hash-bank match recorded on a case. A platform sees the category and distance of each,
/// not the bank's name, hash or label.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaMatchBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank: Option<String>,
    pub category: String,
    pub distance: i64,
    pub pdq: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub label: Option<Option<String>>,
    pub content_id: i64,
    pub matched_at: String,
}

fn media_match_body(m: &CaseMediaMatch, platform: bool) -> MediaMatchBody {
    let staff = |v: &str| (!platform).then(|| v.to_string());
    MediaMatchBody {
        bank: staff(&m.bank),
        category: m.category.clone(),
        distance: m.distance,
        pdq: m.pdq.clone(),
        bank_hash: staff(&m.bank_hash),
        label: (!platform).then(|| m.label.clone()),
        content_id: m.content_id,
        matched_at: to_rfc3339(m.matched_at),
    }
}

/// An identifier found in a case's reports (phone and bank numbers masked for the police).
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentifierBody {
    pub kind: String,
    pub value: String,
}

/// `GET /cases/{id}`: the case with its bank matches, identifiers and, for staff, what its
/// account re-creates.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseBody,
    pub media_matches: Vec<MediaMatchBody>,
    pub identifiers: Vec<IdentifierBody>,
    /// The accounts it re-creates, their earlier cases and decisions (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recreation_of: Option<Value>,
}

/// A page of cases, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub cases: Vec<CaseBody>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A list of cases (the queue, the approvals).
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub cases: Vec<CaseBody>,
}

fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{id}"))
}

fn decode_cursor(s: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("v1:")?.parse().ok()
}

fn parse_param<T: std::str::FromStr>(
    q: &HashMap<String, String>,
    name: &str,
) -> ApiResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    match q.get(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|e: T::Err| ApiError::invalid(name, e.to_string())),
    }
}

const FILTERS: &[&str] = &[
    "status", "category", "platform", "source", "priority", "q", "cursor", "limit",
];

/// A 422 `unknown_field` naming the first query parameter not in `allowed`.
fn only_params(q: &HashMap<String, String>, allowed: &[&str]) -> ApiResult<()> {
    match q.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(unknown) => Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            format!(
                "unknown query parameter `{unknown}`; allowed: {}",
                allowed.join(", ")
            ),
        )
        .with_field(unknown.clone())),
    }
}

/// The filter of a case list from its query, scoped to the caller's platform; `None` when a
/// platform token asks for another platform (an empty list).
fn filter_of(caller: &Caller, q: &HashMap<String, String>) -> ApiResult<Option<CaseFilter>> {
    only_params(q, FILTERS)?;
    let limit: usize = parse_param(q, "limit")?.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is 1 to 500"));
    }
    let before_id = match q.get("cursor").filter(|c| !c.is_empty()) {
        Some(c) => Some(
            decode_cursor(c)
                .ok_or_else(|| ApiError::invalid("cursor", "not a cursor from this API"))?,
        ),
        None => None,
    };
    let mut filter = CaseFilter {
        status: parse_param(q, "status")?,
        category: parse_param(q, "category")?,
        platform: q
            .get("platform")
            .filter(|p| !p.is_empty())
            .map(|p| p.to_ascii_lowercase()),
        source: parse_param(q, "source")?,
        priority: parse_param(q, "priority")?,
        search: match q.get("q") {
            Some(text) => case_search(text).map_err(|e| ApiError::invalid("q", e))?,
            None => None,
        },
        before_id,
        limit,
    };
    if let Some(own) = caller.platform_scope() {
        if filter.platform.as_deref().is_some_and(|p| p != own) {
            return Ok(None);
        }
        filter.platform = Some(own.to_string());
    }
    Ok(Some(filter))
}

/// List cases, newest first, filtered and paged.
#[utoipa::path(get, path = "/cases", tag = "cases",
    params(
        ("status" = Option<CaseStatus>, Query), ("category" = Option<Category>, Query),
        ("platform" = Option<String>, Query), ("source" = Option<Source>, Query),
        ("priority" = Option<Priority>, Query),
        ("q" = Option<String>, Query, description = "Full-text search in the reports' text"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<usize>, Query, description = "1 to 500 (default 50)", minimum = 1, maximum = 500),
    ),
    responses(
        (status = 200, description = "A page of cases", body = CasePage),
        (status = 422, description = "`invalid` (a filter's value, `limit`, `cursor`), `unknown_field` (a parameter this endpoint does not take)", body = ErrorBody),
    ))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> ApiResult<axum::Json<CasePage>> {
    let Some(filter) = filter_of(&caller, &q)? else {
        return Ok(axum::Json(CasePage {
            cases: Vec::new(),
            next_cursor: None,
        }));
    };
    let store = st.store.clone();
    let page = tokio::task::spawn_blocking(move || store.list_cases(&filter)).await??;
    let platform = caller.platform_scope().is_some();
    Ok(axum::Json(CasePage {
        cases: page
            .cases
            .iter()
            .map(|c| CaseBody::of(c, platform))
            .collect(),
        next_cursor: page.next_before_id.map(encode_cursor),
    }))
}

/// `GET /cases.csv`: every case the filters of `GET /cases` select, newest first, as CSV (at
/// most `MAX_EXPORT_ROWS`; `X-Ronda-Truncated: true` when the cap cut it). `cursor` and
/// `limit` do not apply. The export is audited.
#[utoipa::path(get, path = "/cases.csv", tag = "cases",
    params(
        ("status" = Option<CaseStatus>, Query), ("category" = Option<Category>, Query),
        ("platform" = Option<String>, Query), ("source" = Option<Source>, Query),
        ("priority" = Option<Priority>, Query), ("q" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The cases as CSV; `X-Ronda-Truncated: true` when the row cap cut it", content_type = "text/csv", body = String),
        (status = 404, description = "`not_found`: a platform asked for another platform", body = ErrorBody),
        (status = 422, description = "`invalid` (a filter's value; `cursor` and `limit` do not apply), `unknown_field`", body = ErrorBody),
    ))]
pub async fn list_csv(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    if let Some(p) = ["cursor", "limit"].iter().find(|p| q.contains_key(**p)) {
        return Err(ApiError::invalid(
            *p,
            "an export holds every matching case; use the other filters to narrow it",
        ));
    }
    let Some(filter) = filter_of(&caller, &q)? else {
        return Err(ApiError::not_found("platform"));
    };
    let store = st.store.clone();
    let actor = caller.actor();
    let query = serde_json::to_string(&q).unwrap_or_default();
    let (body, truncated) = tokio::task::spawn_blocking(move || {
        let out = export(&store, &filter, Format::Csv)?;
        store.write_blocking(1, move |tx| {
            tx.audit(&actor, "cases.exported", "cases", None, Some(&query))
        })?;
        Ok::<_, ronda_store::StoreError>(out)
    })
    .await??;
    let mut resp = (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"ronda-cases.csv\"",
            ),
        ],
        body,
    )
        .into_response();
    if truncated {
        resp.headers_mut().insert(
            "x-ronda-truncated",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    Ok(resp)
}

/// One case with its bank matches and identifiers.
#[utoipa::path(get, path = "/cases/{id}", tag = "cases",
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The case", body = CaseDetail),
        (status = 404, description = "`not_found`: no such case (or not one the caller may see)", body = ErrorBody),
    ))]
pub async fn show(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<CaseDetail>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("case"))?;
    let police = caller.role() == Role::Police;
    let store = st.store.clone();
    let found = tokio::task::spawn_blocking(move || {
        // The police see the cases referred to them; any other is a 404.
        if police && !store.case_is_referred(id)? {
            return Ok(None);
        }
        store
            .get_case(id)?
            .map(|c| {
                let matches = store.case_media_matches(c.id)?;
                let identifiers = store.case_identifiers(c.id)?;
                Ok::<_, ronda_store::StoreError>((matches, identifiers, c))
            })
            .transpose()
    })
    .await??;
    match found {
        // Another platform's case does not exist, as far as a platform token can tell.
        Some((matches, identifiers, c))
            if caller.platform_scope().is_none_or(|own| own == c.platform) =>
        {
            let platform = caller.platform_scope().is_some();
            // The police read identifiers as on actors: phone numbers masked.
            let police = caller.role() == Role::Police;
            let identifiers = identifiers
                .iter()
                .map(|(kind, value)| IdentifierBody {
                    kind: kind.clone(),
                    value: if police {
                        crate::routes::actors::mask_value(kind, value)
                    } else {
                        value.clone()
                    },
                })
                .collect();
            // What the account re-creates names accounts on other platforms: staff only.
            let recreation_of = if caller.role().reads_all_cases() {
                c.recreation_json
                    .as_deref()
                    .map(|detail| serde_json::from_str(detail).unwrap_or(Value::Null))
            } else {
                None
            };
            Ok(axum::Json(CaseDetail {
                case: CaseBody::of(&c, platform),
                media_matches: matches
                    .iter()
                    .map(|m| media_match_body(m, platform))
                    .collect(),
                identifiers,
                recreation_of,
            }))
        }
        _ => Err(ApiError::not_found("case")),
    }
}

/// Who filed a report. `name` and `contact` appear only when asked for with
/// `reporter_identity=true` (supervisors and admins; audited).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterBody {
    pub kind: String,
    pub identified: bool,
    pub removed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub contact: Option<Option<String>>,
}

/// One report of a case, as filed (content absent once retention removed it).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    pub id: i64,
    pub source: Source,
    pub created_at: String,
    pub category: Option<Category>,
    /// The target as the reporter wrote it.
    pub target: String,
    pub external_id: Option<String>,
    pub text: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    /// The media hashes: `[{"pdq", "sha256"}]`.
    pub media: Value,
    pub content_removed_at: Option<String>,
    /// What detection read in this report (verdict, category, score, spans).
    pub detection: Value,
    pub reporter: ReporterBody,
    /// The patrol's WARC capture of the page (the file is in the case's evidence bundle).
    pub capture: Option<CaptureBody>,
}

/// A capture as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaptureBody {
    /// `WARC/1.1`.
    pub format: &'static str,
    /// SHA-256 of the WARC file.
    pub sha256: String,
    pub url: String,
    pub fetched_at: String,
    pub bytes: i64,
    /// False once retention removed the file (its digest stays).
    pub kept: bool,
}

fn report_body(r: &ReportView) -> ReportBody {
    let media: Value = r
        .media_json
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_else(|| Value::Array(Vec::new()));
    let detection: Value = r
        .detection_json
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    let (name, contact) = match &r.reporter {
        Some((name, contact)) => (Some(name.clone()), Some(contact.clone())),
        None => (None, None),
    };
    ReportBody {
        id: r.id,
        source: r.source,
        created_at: to_rfc3339(r.created_at),
        category: r.category,
        target: r.target_raw.clone(),
        external_id: r.external_id.clone(),
        text: r.text.clone(),
        url: r.url.clone(),
        description: r.description.clone(),
        media,
        content_removed_at: r.content_removed_at.map(to_rfc3339),
        detection,
        reporter: ReporterBody {
            kind: r.reporter_kind.clone(),
            identified: r.reporter_identified,
            removed_at: r.reporter_removed_at.map(to_rfc3339),
            name,
            contact,
        },
        capture: r.capture.as_ref().map(|c| CaptureBody {
            format: "WARC/1.1",
            sha256: c.sha256.clone(),
            url: c.url.clone(),
            fetched_at: to_rfc3339(c.fetched_at),
            bytes: c.bytes,
            kept: c.kept,
        }),
    }
}

/// A page of a case's reports, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPage {
    pub case_id: i64,
    pub reports: Vec<ReportBody>,
    pub next_cursor: Option<String>,
}

const REPORT_PARAMS: &[&str] = &["cursor", "limit", "reporter_identity"];

/// The reports of a case, oldest first, paged.
#[utoipa::path(get, path = "/cases/{id}/reports", tag = "cases",
    params(
        ("id" = i64, Path),
        ("cursor" = Option<String>, Query), ("limit" = Option<usize>, Query, description = "1 to 200 (default 50)", minimum = 1, maximum = 200),
        ("reporter_identity" = Option<bool>, Query, description = "Unseal reporters' names and contacts (supervisors and admins; audited)"),
    ),
    responses(
        (status = 200, description = "A page of reports", body = ReportPage),
        (status = 403, description = "`forbidden`: `reporter_identity` asked for by a role that may not read it", body = ErrorBody),
        (status = 404, description = "`not_found`: no such case", body = ErrorBody),
        (status = 422, description = "`invalid` (`limit`, `cursor`, `reporter_identity`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn reports(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> ApiResult<axum::Json<ReportPage>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("case"))?;
    only_params(&q, REPORT_PARAMS)?;
    let limit: usize = parse_param(&q, "limit")?.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is 1 to 200"));
    }
    let identity: bool = parse_param(&q, "reporter_identity")?.unwrap_or(false);
    if identity && !matches!(caller.role(), Role::Admin | Role::Supervisor) {
        return Err(ApiError::forbidden(
            "reporters' names and contacts are shown to supervisors and admins only",
        ));
    }
    let after_id = match q.get("cursor").filter(|c| !c.is_empty()) {
        Some(c) => Some(
            decode_cursor(c)
                .ok_or_else(|| ApiError::invalid("cursor", "not a cursor from this API"))?,
        ),
        None => None,
    };
    let store = st.store.clone();
    let actor = caller.actor();
    let page = tokio::task::spawn_blocking(move || {
        if store.get_case(id)?.is_none() {
            return Ok(None);
        }
        store
            .case_reports(&actor, id, after_id, limit, identity)
            .map(Some)
    })
    .await??
    .ok_or_else(|| ApiError::not_found("case"))?;
    Ok(axum::Json(ReportPage {
        case_id: id,
        reports: page.reports.iter().map(report_body).collect(),
        next_cursor: page.next_after_id.map(encode_cursor),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("42"), None);
        assert_eq!(decode_cursor("!!"), None);
    }
}
