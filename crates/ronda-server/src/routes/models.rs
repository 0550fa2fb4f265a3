//! Detection models trained from the team's decisions (`ronda train --from-store --register`):
//! list and inspect them, put one in the shadow or in use, roll back — as `ronda models` does.
//! A change is applied here at once and on every other instance within `detection_poll_ms`
//! (a detection reload is recorded with it), and audited under the caller.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use ronda_core::clock::to_rfc3339;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/models", get(list))
        .route("/models/rollback", post(rollback))
        .route("/models/shadow", axum::routing::delete(unshadow))
        .route("/models/{id}", get(show))
        .route("/models/{id}/activate", post(activate))
        .route("/models/{id}/shadow", post(shadow))
}

/// A registered model (its file stays in the store).
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelBody {
    pub id: i64,
    pub created_at: String,
    pub created_by: String,
    pub sha256: String,
    pub size: i64,
    /// It is the model in use.
    pub active: bool,
    /// It is the model in the shadow.
    pub in_shadow: bool,
    /// What it learnt from (as `ronda train --from-store` recorded it).
    #[schema(value_type = Object)]
    pub training: Value,
    /// How it scored on its hold-out (beside the model in use) and the held-out sets.
    #[schema(value_type = Object)]
    pub metrics: Value,
}

/// A model, and how it compared with the model in use while it was in the shadow.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelDetail {
    #[serde(flatten)]
    pub model: ModelBody,
    /// `{"reports", "agree", "agreement", "differ": [{"report_id", "case_id", "in_use", "shadow"}]}`.
    #[schema(value_type = Object)]
    pub shadow: Value,
}

/// What an activation or a rollback did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SwitchBody {
    /// The model in use before (`null`: the configured or built-in model).
    pub from: Option<i64>,
    /// The model in use now.
    pub to: Option<i64>,
    /// The detection reload version every instance follows.
    pub reload: i64,
}

/// The model in the shadow after the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShadowBody {
    pub shadow: Option<i64>,
    pub reload: i64,
}

fn body(m: &ronda_store::models::ModelVersion, shadow: Option<i64>) -> ModelBody {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or_default();
    ModelBody {
        id: m.id,
        created_at: to_rfc3339(m.created_at),
        created_by: m.created_by.clone(),
        sha256: m.sha256.clone(),
        size: m.size,
        active: m.active,
        in_shadow: shadow == Some(m.id),
        training: parse(&m.training_json),
        metrics: parse(&m.metrics_json),
    }
}

fn shadow_id(store: &ronda_store::Store) -> Result<Option<i64>, ronda_store::StoreError> {
    Ok(store.shadow_model()?.map(|(s, _)| s.model_id))
}

/// The change is in force here at once; other instances follow their poll.
async fn apply(st: &Arc<AppState>, reload: i64) -> ApiResult<()> {
    st.refresh_detection().await.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("the model does not load here: {e}"),
        )
        .with_field("model")
    })?;
    st.detection_version
        .fetch_max(reload, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// Every registered model, newest first.
#[utoipa::path(get, path = "/models", tag = "models",
    responses((status = 200, description = "The models", body = [ModelBody])))]
pub async fn list(State(st): State<Arc<AppState>>) -> ApiResult<axum::Json<Vec<ModelBody>>> {
    let store = st.store.clone();
    let (models, shadow) = tokio::task::spawn_blocking(move || {
        Ok::<_, ronda_store::StoreError>((store.list_models()?, shadow_id(&store)?))
    })
    .await??;
    Ok(axum::Json(models.iter().map(|m| body(m, shadow)).collect()))
}

/// One model, with its agreement with the model in use while in the shadow.
#[utoipa::path(get, path = "/models/{id}", tag = "models", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The model", body = ModelDetail),
        (status = 404, description = "`not_found`: no such model", body = ErrorBody),
    ))]
pub async fn show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ModelDetail>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("model"))?;
    let store = st.store.clone();
    let found = tokio::task::spawn_blocking(move || {
        let Some(m) = store.get_model(id)? else {
            return Ok(None);
        };
        let readings = store.shadow_readings(id, 100_000)?;
        Ok::<_, ronda_store::StoreError>(Some((m, shadow_id(&store)?, readings)))
    })
    .await??;
    let (m, shadow, readings) = found.ok_or_else(|| ApiError::not_found("model"))?;
    Ok(axum::Json(ModelDetail {
        model: body(&m, shadow),
        shadow: ronda_service::models::agreement(&readings),
    }))
}

/// Put a model in use on every instance.
#[utoipa::path(post, path = "/models/{id}/activate", tag = "models", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "In use", body = SwitchBody),
        (status = 404, description = "`not_found`: no such model", body = ErrorBody),
        (status = 409, description = "`conflict`: it is already in use", body = ErrorBody),
        (status = 422, description = "`invalid` (field `model`): recorded, but it does not load here", body = ErrorBody),
    ))]
pub async fn activate(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<SwitchBody>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("model"))?;
    let s = st.store.activate_model(caller.actor(), id).await?;
    apply(&st, s.reload_version).await?;
    Ok(axum::Json(SwitchBody {
        from: s.from,
        to: s.to,
        reload: s.reload_version,
    }))
}

/// Go back to the model in use before the last activation.
#[utoipa::path(post, path = "/models/rollback", tag = "models",
    responses(
        (status = 200, description = "Rolled back", body = SwitchBody),
        (status = 409, description = "`conflict`: nothing to roll back", body = ErrorBody),
        (status = 422, description = "`invalid` (field `model`): recorded, but it does not load here", body = ErrorBody),
    ))]
pub async fn rollback(
    State(st): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<axum::Json<SwitchBody>> {
    let s = st.store.rollback_model(caller.actor()).await?;
    apply(&st, s.reload_version).await?;
    Ok(axum::Json(SwitchBody {
        from: s.from,
        to: s.to,
        reload: s.reload_version,
    }))
}

/// Score every incoming report with this model too, beside the one in use.
#[utoipa::path(post, path = "/models/{id}/shadow", tag = "models", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "In the shadow", body = ShadowBody),
        (status = 404, description = "`not_found`: no such model", body = ErrorBody),
        (status = 422, description = "`invalid` (field `model`): recorded, but it does not load here", body = ErrorBody),
    ))]
pub async fn shadow(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ShadowBody>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("model"))?;
    let reload = st.store.set_shadow_model(caller.actor(), Some(id)).await?;
    apply(&st, reload).await?;
    Ok(axum::Json(ShadowBody {
        shadow: Some(id),
        reload,
    }))
}

/// Take the model out of the shadow.
#[utoipa::path(delete, path = "/models/shadow", tag = "models",
    responses(
        (status = 200, description = "No model in the shadow", body = ShadowBody),
        (status = 409, description = "`conflict`: no model is in the shadow", body = ErrorBody),
        (status = 422, description = "`invalid` (field `model`): recorded, but the models do not load here", body = ErrorBody),
    ))]
pub async fn unshadow(
    State(st): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<axum::Json<ShadowBody>> {
    let reload = st.store.set_shadow_model(caller.actor(), None).await?;
    apply(&st, reload).await?;
    Ok(axum::Json(ShadowBody {
        shadow: None,
        reload,
    }))
}
