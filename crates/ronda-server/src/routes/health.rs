//! Liveness, readiness (the database answers) and Prometheus metrics (behind a token).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".to_string(),
    })
}

/// Ready when the database answers a read and the writer commits a no-op write within
/// `ready_write_timeout_ms`: a writer stuck behind a write lock held elsewhere makes the
/// instance unready, so a load balancer sends its traffic to the others.
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "`unavailable`: the database is unreachable or the writer is stuck", body = ErrorBody),
    ))]
pub async fn readyz(State(st): State<Arc<AppState>>) -> ApiResult<impl IntoResponse> {
    let store = st.store.clone();
    let ok = tokio::task::spawn_blocking(move || {
        store.read(|c| c.query_one("SELECT 1", &[]).map(|_| ()))
    })
    .await?;
    let wait = std::time::Duration::from_millis(st.config.ready_write_timeout_ms);
    match tokio::time::timeout(wait, st.store.write(1, |_tx| Ok(()))).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the writer failed a no-op write");
            return Err(ApiError::unavailable("the database does not take writes"));
        }
        Err(_) => {
            tracing::warn!("readiness: the writer did not commit a no-op write in time");
            return Err(ApiError::unavailable(
                "the writer is stuck (the write lock is held elsewhere?)",
            ));
        }
    }
    match ok {
        Ok(()) => Ok((
            StatusCode::OK,
            axum::Json(Readiness {
                status: "ready".to_string(),
                database: st.store.backend().as_str().to_string(),
            }),
        )),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::unavailable("database unreachable"))
        }
    }
}

/// Prometheus text. Route names, counts and latencies say how the ministry works: only admin
/// and supervisor tokens read them, unless `metrics_public` opens them (a scraper on a private
/// network) — see [`crate::permissions::Access::Metrics`].
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "The metrics in Prometheus's text format", content_type = "text/plain", body = String)))]
pub async fn metrics(State(st): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
}
