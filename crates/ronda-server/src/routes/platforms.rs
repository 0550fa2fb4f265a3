//! Platforms: `POST /platforms` (admin) and `GET /platforms`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use ronda_core::clock::to_rfc3339;
use ronda_store::platforms::Platform;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/platforms", get(list).post(create))
}

fn platform_json(p: &Platform) -> Value {
    json!({"id": p.id, "name": p.name, "display_name": p.display_name, "created_at": to_rfc3339(p.created_at)})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPlatform {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
}

async fn create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewPlatform>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let p = st
        .store
        .create_platform(&caller.actor(), &body.name, body.display_name.as_deref())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(platform_json(&p))))
}

async fn list(State(st): State<Arc<AppState>>, _caller: Caller) -> ApiResult<axum::Json<Value>> {
    let store = st.store.clone();
    let list = tokio::task::spawn_blocking(move || store.list_platforms()).await??;
    Ok(axum::Json(
        json!({"platforms": list.iter().map(platform_json).collect::<Vec<_>>()}),
    ))
}
