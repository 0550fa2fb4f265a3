//! Administration: reloading the detection rules and model without a restart.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/admin/detection/reload", post(reload))
}

/// Re-reads `detect_rules_file` and `detect_model_file` here, and every other instance
/// follows (a version in the store); a bad file keeps the engine in use and answers 422 with
/// the loader's message (it names the rule and the field).
async fn reload(State(st): State<Arc<AppState>>, caller: Caller) -> ApiResult<axum::Json<Value>> {
    match st.reload_detection(caller.actor()).await {
        Ok(version) => {
            tracing::info!(by = %caller.actor(), version, "detection rules and model reloaded");
            Ok(axum::Json(json!({"reloaded": true, "version": version})))
        }
        Err(e) => Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e).with_field("detection"),
        ),
    }
}
