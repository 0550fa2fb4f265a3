//! Platforms: `POST /platforms` (admin) and `GET /platforms`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use ronda_core::clock::to_rfc3339;
use ronda_store::platforms::Platform;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/platforms", get(list).post(create))
}

/// A platform notices go to.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformBody {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub created_at: String,
}

impl From<&Platform> for PlatformBody {
    fn from(p: &Platform) -> Self {
        PlatformBody {
            id: p.id,
            name: p.name.clone(),
            display_name: p.display_name.clone(),
            created_at: to_rfc3339(p.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformList {
    pub platforms: Vec<PlatformBody>,
}

/// A new platform: a lower-case name (`michat`) and how people call it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlatform {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
}

/// Add a platform.
#[utoipa::path(post, path = "/platforms", tag = "platforms", request_body = NewPlatform,
    responses(
        (status = 201, description = "Added", body = PlatformBody),
        (status = 409, description = "`conflict`: a platform of this name exists", body = ErrorBody),
        (status = 422, description = "`invalid`/`invalid_value` (`name`, `display_name`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewPlatform>,
) -> ApiResult<(StatusCode, axum::Json<PlatformBody>)> {
    let p = st
        .store
        .create_platform(&caller.actor(), &body.name, body.display_name.as_deref())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(PlatformBody::from(&p))))
}

/// Every platform.
#[utoipa::path(get, path = "/platforms", tag = "platforms",
    responses((status = 200, description = "The platforms", body = PlatformList)))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    _caller: Caller,
) -> ApiResult<axum::Json<PlatformList>> {
    let store = st.store.clone();
    let list = tokio::task::spawn_blocking(move || store.list_platforms()).await??;
    Ok(axum::Json(PlatformList {
        platforms: list.iter().map(PlatformBody::from).collect(),
    }))
}
