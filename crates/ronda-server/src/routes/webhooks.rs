//! `PUT /platforms/{name}/webhook` (admin, or that platform's own token) returns the signing
//! secret once; `GET /platforms/{name}/webhook/deliveries` is the delivery log.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use ronda_core::clock::to_rfc3339;
use ronda_core::model::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
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

/// Where the platform's events go: an http or https URL the outbound client may reach.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    url: String,
}

/// The webhook as registered, with the secret its deliveries are signed with (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookBody {
    pub url: String,
    pub secret: String,
    /// How a delivery is signed.
    pub signature: String,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryBody {
    pub outbox_id: i64,
    pub event: String,
    pub attempt: i64,
    pub at: String,
    /// The receiver's HTTP status.
    pub status: Option<i64>,
    pub error: Option<String>,
    pub delivered: bool,
    /// The event could not be unsealed (a different instance key) and is skipped.
    pub flagged: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryLog {
    pub deliveries: Vec<DeliveryBody>,
}

/// Register (or replace) a platform's webhook.
#[utoipa::path(put, path = "/platforms/{name}/webhook", tag = "platform",
    params(("name" = String, Path, description = "The platform's name")),
    request_body = WebhookInput,
    responses(
        (status = 200, description = "Registered", body = WebhookBody),
        (status = 404, description = "`not_found`: no such platform (or another platform's)", body = ErrorBody),
        (status = 422, description = "`invalid_value` (`url`): not http(s), or an address the outbound rules refuse (the rule is named); `unknown_field`", body = ErrorBody),
    ))]
pub async fn register(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<WebhookInput>,
) -> ApiResult<axum::Json<WebhookBody>> {
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
    Ok(axum::Json(WebhookBody {
        url: r.url,
        secret: r.secret,
        signature:
            "X-Ronda-Signature: sha256=HMAC-SHA256(secret, X-Ronda-Timestamp + \".\" + body)"
                .to_string(),
    }))
}

/// The latest 200 delivery attempts of a platform's webhook.
#[utoipa::path(get, path = "/platforms/{name}/webhook/deliveries", tag = "platform",
    params(("name" = String, Path, description = "The platform's name")),
    responses(
        (status = 200, description = "The delivery log, newest first", body = DeliveryLog),
        (status = 404, description = "`not_found`: no such platform (or another platform's)", body = ErrorBody),
    ))]
pub async fn deliveries(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<DeliveryLog>> {
    let name = name.to_ascii_lowercase();
    allowed(&caller, &name)?;
    let store = st.store.clone();
    let log = tokio::task::spawn_blocking(move || store.webhook_attempts(&name, 200)).await??;
    Ok(axum::Json(DeliveryLog {
        deliveries: log
            .iter()
            .map(|a| DeliveryBody {
                outbox_id: a.outbox_id,
                event: a.event.clone(),
                attempt: a.attempt,
                at: to_rfc3339(a.at),
                status: a.status,
                error: a.error.clone(),
                delivered: a.delivered,
                flagged: a.flagged,
            })
            .collect(),
    }))
}
