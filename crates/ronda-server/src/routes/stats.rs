//! `GET /stats`: the figures of a window, for staff. The public gets the transparency report
//! (`ronda report transparency`), which a person reviews before it is published; there is no
//! public statistics endpoint.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use ronda_store::stats::{GroupBy, Stats, StatsQuery, resolve_window};

use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiQuery;
use crate::state::AppState;

const PARAMS: &[&str] = &["from", "to", "group_by"];

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/stats", get(stats))
}

/// The team's figures over a window of days (Jakarta time), optionally broken down.
#[utoipa::path(get, path = "/stats", tag = "stats",
    params(
        ("from" = Option<String>, Query, description = "First day, `YYYY-MM-DD`, Jakarta time (default: 29 days before `to`)"),
        ("to" = Option<String>, Query, description = "Last day, `YYYY-MM-DD` (default: today)"),
        ("group_by" = Option<GroupBy>, Query),
    ),
    responses(
        (status = 200, description = "The figures", body = Stats),
        (status = 422, description = "`invalid` (`from`, `to`: not a date, or a window that is reversed or too long), `invalid_value` (`group_by`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn stats(
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> ApiResult<axum::Json<Stats>> {
    if let Some(unknown) = q.keys().find(|k| !PARAMS.contains(&k.as_str())) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            format!(
                "unknown query parameter `{unknown}`; allowed: {}",
                PARAMS.join(", ")
            ),
        )
        .with_field(unknown.clone()));
    }
    let group_by = match q.get("group_by").filter(|g| !g.is_empty()) {
        Some(g) => Some(g.parse::<GroupBy>().map_err(|e| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", e)
                .with_field("group_by")
        })?),
        None => None,
    };
    let now_ms = st.store.now_ms();
    let (from_day, to_day) = resolve_window(
        q.get("from").map(String::as_str),
        q.get("to").map(String::as_str),
        now_ms,
    )
    .map_err(|e| ApiError::invalid(e.field, e.message))?;
    let query = StatsQuery {
        from_day,
        to_day,
        now_ms,
        group_by,
    };
    let store = st.store.clone();
    let stats = tokio::task::spawn_blocking(move || store.stats(&query)).await??;
    Ok(axum::Json(stats))
}
