//! `PUT /platforms/{name}/webhook` (admin, or that platform's own token) returns the signing
//! secret once; `GET /platforms/{name}/webhook/deliveries` is the delivery log.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use ronda_core::clock::to_rfc3339;
use ronda_core::model::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/platforms/{name}/webhook", put(register))
        .route("/platforms/{name}/webhook/deliveries", get(deliveries))
}

/// Admins manage every platform's webhook; a platform token only its own.
fn allowed(caller: &Caller, platform: &str) -> ApiResult<()> {
    match caller.role() {
        Role::Admin => Ok(()),
        Role::Platform if caller.platform_scope() == Some(platform) => Ok(()),
        Role::Platform => Err(ApiError::not_found("platform")),
        _ => Err(ApiError::forbidden(
            "only admins and the platform itself manage its webhook",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookInput {
    url: String,
}

async fn register(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<WebhookInput>,
) -> ApiResult<axum::Json<Value>> {
    let name = name.to_ascii_lowercase();
    allowed(&caller, &name)?;
    // The receiver's address is checked now, so a refusal is told to whoever registers it;
    // every delivery checks it again (a name may resolve elsewhere later).
    st.outbound.check(&body.url).await.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            e.to_string(),
        )
        .with_field("url")
    })?;
    let r = st
        .store
        .register_webhook(caller.actor(), name, body.url)
        .await?;
    Ok(axum::Json(json!({
        "url": r.url,
        "secret": r.secret,
        "signature": "X-Ronda-Signature: sha256=HMAC-SHA256(secret, X-Ronda-Timestamp + \".\" + body)",
    })))
}

async fn deliveries(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let name = name.to_ascii_lowercase();
    allowed(&caller, &name)?;
    let store = st.store.clone();
    let log = tokio::task::spawn_blocking(move || store.webhook_attempts(&name, 200)).await??;
    Ok(axum::Json(json!({"deliveries": log.iter().map(|a| json!({
        "outbox_id": a.outbox_id, "event": a.event, "attempt": a.attempt, "at": to_rfc3339(a.at),
        "status": a.status, "error": a.error, "delivered": a.delivered, "flagged": a.flagged,
    })).collect::<Vec<_>>()})))
}
