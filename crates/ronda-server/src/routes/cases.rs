//! Reading cases: `GET /cases` (filtered, paged) and `GET /cases/{id}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ronda_core::clock::to_rfc3339;
use ronda_core::model::{Role, Source};
use ronda_store::banks::CaseMediaMatch;
use ronda_store::cases::{CaseFilter, CaseView, ReportView};

use crate::export::{Format, case_search, export};
use crate::json::ApiQuery;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/cases", get(list))
        .route("/cases.csv", get(list_csv))
        .route("/cases/{id}", get(show))
        .route("/cases/{id}/reports", get(reports))
}

pub fn case_json(c: &CaseView) -> Value {
    let mut by_source = serde_json::Map::new();
    for (i, s) in Source::ALL.iter().enumerate() {
        by_source.insert(s.as_str().to_string(), json!(c.reports_by_source[i]));
    }
    json!({
        "id": c.id,
        "status": c.status,
        "category": c.category,
        "priority": c.priority,
        "platform": c.platform,
        "target": { c.target_kind.clone(): c.target_value },
        "reports": {"total": c.reports_total, "by_source": by_source},
        "first_reported_at": to_rfc3339(c.first_reported_at),
        "last_reported_at": to_rfc3339(c.last_reported_at),
        "created_at": to_rfc3339(c.created_at),
        "updated_at": to_rfc3339(c.updated_at),
        "child_safety": c.child_safety.map(|t| t.as_str()),
        "excerpt": c.excerpt,
        "previous_case_id": c.previous_case_id,
        "merged_into": c.merged_into,
        "actor": c.actor_id,
        "recreation": c.recreation,
        "detection": c.detection.as_ref().map(|d| {
            let details: Value = d
                .details_json
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or(Value::Null);
            json!({
                "verdict": d.verdict,
                "category": d.category,
                "score": d.score,
                "scores": details["scores"],
                "rules": details["rules"],
                "minor": details["minor"],
                "sexual": details["sexual"],
            })
        }),
    })
}

/// A case as a platform or staff sees it. A platform reads neither the reporters' words (the
/// excerpt) nor how the ministry detects (rule ids and per-category scores, which would teach
/// evasion); its notices carry the content summary it acts on.
pub fn case_json_for(c: &CaseView, platform: bool) -> Value {
    let mut v = case_json(c);
    if platform && let Some(o) = v.as_object_mut() {
        o.remove("excerpt");
        if let Some(d) = o.get_mut("detection").and_then(Value::as_object_mut) {
            for key in ["rules", "scores", "minor", "sexual"] {
                d.remove(key);
            }
        }
    }
    v
}

/// The hash-bank matches recorded on a case (only on `GET /cases/{id}`); a platform sees the
/// category and distance of each, not the bank's name, hash or label.
fn media_matches_json(matches: &[CaseMediaMatch], platform: bool) -> Value {
    Value::Array(
        matches
            .iter()
            .map(|m| {
                if platform {
                    return json!({
                        "category": m.category,
                        "distance": m.distance,
                        "pdq": m.pdq,
                        "content_id": m.content_id,
                        "matched_at": to_rfc3339(m.matched_at),
                    });
                }
                json!({
                    "bank": m.bank,
                    "category": m.category,
                    "distance": m.distance,
                    "pdq": m.pdq,
                    "bank_hash": m.bank_hash,
                    "label": m.label,
                    "content_id": m.content_id,
                    "matched_at": to_rfc3339(m.matched_at),
                })
            })
            .collect(),
    )
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

async fn list(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let Some(filter) = filter_of(&caller, &q)? else {
        return Ok(axum::Json(json!({"cases": [], "next_cursor": null})));
    };
    let store = st.store.clone();
    let page = tokio::task::spawn_blocking(move || store.list_cases(&filter)).await??;
    let platform = caller.platform_scope().is_some();
    Ok(axum::Json(json!({
        "cases": page.cases.iter().map(|c| case_json_for(c, platform)).collect::<Vec<_>>(),
        "next_cursor": page.next_before_id.map(encode_cursor),
    })))
}

/// `GET /cases.csv`: every case the filters of `GET /cases` select, newest first, as CSV (at
/// most `MAX_EXPORT_ROWS`; `X-Ronda-Truncated: true` when the cap cut it). `cursor` and
/// `limit` do not apply. The export is audited.
async fn list_csv(
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

async fn show(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
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
            let mut body = case_json_for(&c, platform);
            body["media_matches"] = media_matches_json(&matches, platform);
            // The police read identifiers as on actors: phone numbers masked.
            let police = caller.role() == Role::Police;
            body["identifiers"] = identifiers
                .iter()
                .map(|(kind, value)| {
                    let value = if police {
                        crate::routes::actors::mask_value(kind, value)
                    } else {
                        value.clone()
                    };
                    json!({"kind": kind, "value": value})
                })
                .collect();
            // What the account re-creates names accounts on other platforms: staff only.
            if caller.role().reads_all_cases()
                && let Some(detail) = c.recreation_json.as_deref()
            {
                body["recreation_of"] = serde_json::from_str(detail).unwrap_or(Value::Null);
            }
            Ok(axum::Json(body))
        }
        _ => Err(ApiError::not_found("case")),
    }
}

fn report_json(r: &ReportView) -> Value {
    let media: Value = r
        .media_json
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_else(|| json!([]));
    let detection: Value = r
        .detection_json
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    let mut reporter = json!({
        "kind": r.reporter_kind,
        "identified": r.reporter_identified,
        "removed_at": r.reporter_removed_at.map(to_rfc3339),
    });
    if let Some((name, contact)) = &r.reporter {
        reporter["name"] = json!(name);
        reporter["contact"] = json!(contact);
    }
    json!({
        "id": r.id,
        "source": r.source,
        "created_at": to_rfc3339(r.created_at),
        "category": r.category,
        "target": r.target_raw,
        "external_id": r.external_id,
        "text": r.text,
        "url": r.url,
        "description": r.description,
        "media": media,
        "content_removed_at": r.content_removed_at.map(to_rfc3339),
        "detection": detection,
        "reporter": reporter,
    })
}

const REPORT_PARAMS: &[&str] = &["cursor", "limit", "reporter_identity"];

async fn reports(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
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
    Ok(axum::Json(json!({
        "case_id": id,
        "reports": page.reports.iter().map(report_json).collect::<Vec<_>>(),
        "next_cursor": page.next_after_id.map(encode_cursor),
    })))
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
