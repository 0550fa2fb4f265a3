//! Administration: reloading the detection rules and model without a restart.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/admin/detection/reload", post(reload))
}

/// Re-reads `detect_rules_file` and `detect_model_file` here, and every other instance
/// follows (a version in the store); a bad file keeps the engine in use and answers 422 with
/// the loader's message (it names the rule and the field).
/// A detection reload: the version every instance picks up.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReloadBody {
    pub reloaded: bool,
    pub version: i64,
}

/// Reload the detection rules and model from their files; every instance picks up the new
/// version within `detection_poll_ms`.
#[utoipa::path(post, path = "/admin/detection/reload", tag = "admin",
    responses(
        (status = 200, description = "Reloaded", body = ReloadBody),
        (status = 422, description = "`invalid` (field `detection`): the rules or model do not load; the old ones stay", body = ErrorBody),
    ))]
pub async fn reload(
    State(st): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<axum::Json<ReloadBody>> {
    match st.reload_detection(caller.actor()).await {
        Ok(version) => {
            tracing::info!(by = %caller.actor(), version, "detection rules and model reloaded");
            Ok(axum::Json(ReloadBody {
                reloaded: true,
                version,
            }))
        }
        Err(e) => Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e).with_field("detection"),
        ),
    }
}
