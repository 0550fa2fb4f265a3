//! Building and running the application: the router from state (tests call it without a
//! socket), the bound server, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

use crate::console;
use crate::error::ApiError;
use crate::openapi;
use crate::permissions;
use crate::routes;
use crate::state::AppState;

/// The whole HTTP surface for a given state.
pub fn app(state: Arc<AppState>) -> Router {
    let api = routes::api_router(&state)
        .merge(routes::health::router())
        .route("/openapi.json", axum::routing::get(openapi::openapi_json));
    Router::new()
        .nest("/api/v1", api)
        .merge(routes::health::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            permissions::authorize,
        ))
        .merge(console::router(&state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(reject_bad_uri))
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            ApiError::internal().into_response()
        }))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}

/// Refuses a request whose path or query decodes to something no handler can take: bytes
/// that are not UTF-8, or a forbidden control character (`%00`). Answered in the API's error
/// shape (400 `invalid_value`, field `path` or `query`) before any extractor or query sees it.
async fn reject_bad_uri(req: Request, next: Next) -> Response {
    let uri = req.uri();
    if let Err(field) = check_component(uri.path(), "path")
        .and_then(|()| uri.query().map_or(Ok(()), |q| check_component(q, "query")))
    {
        return field.into_response();
    }
    next.run(req).await
}

/// Percent-decodes `raw` (a path or a query) and checks the result (see [`reject_bad_uri`]).
fn check_component(raw: &str, field: &'static str) -> Result<(), ApiError> {
    let bad = |message: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_value",
            message.to_string(),
        )
        .with_field(field)
    };
    let text = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| bad("the address does not decode to UTF-8 text"))?;
    if text.chars().any(ronda_core::report::is_forbidden_control) {
        return Err(bad("the address holds a control character (such as %00)"));
    }
    Ok(())
}

/// Answers 503 `timeout` for a request that takes longer than `request_timeout_secs`.
async fn time_limit(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let limit = Duration::from_secs(st.config.request_timeout_secs.max(1));
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(secs = limit.as_secs(), "a request ran out of time");
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "the request took too long; try again (with the same Idempotency-Key for a write)",
            );
            e.retry_after_secs = Some(1);
            e.into_response()
        }
    }
}

/// Counts and times every request by its route template (never by raw path: ids and tracking
/// codes must not become metric labels).
async fn track(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    st.metrics
        .record_request(&method, &route, resp.status().as_u16(), started.elapsed());
    resp
}

/// A bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Application {
    /// Binds `state.config.listen` (port 0 picks a free port), once the console's catalogues load. The error names the address
    /// and where it is set (`listen`, `RONDA_LISTEN`, `--listen`).
    pub async fn bind(state: Arc<AppState>) -> std::io::Result<Self> {
        // The console's message catalogues are compiled in; one that does not load fails here.
        console::i18n::check_catalogues().map_err(std::io::Error::other)?;
        let addr = state.config.listen;
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {addr}: {e} (set another address with --listen, RONDA_LISTEN or `listen` in the config file)"),
            )
        })?;
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Serves until `shutdown` resolves, lets in-flight requests finish (bounded by
    /// `shutdown_grace_secs`), then flushes and closes the store.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let grace = Duration::from_secs(state.config.shutdown_grace_secs);
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let service = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let workers = crate::workers::Workers::spawn(&state);
        let server = axum::serve(self.listener, service).with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stopped_tx.send(());
        });
        let result = tokio::select! {
            r = server => r,
            () = async {
                // Once shutdown starts, give in-flight requests the grace period, no more.
                if stopped_rx.await.is_ok() {
                    tokio::time::sleep(grace).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => {
                tracing::warn!("grace period over; closing remaining connections");
                Ok(())
            }
        };
        // The workers finish the step they are in (a delivery in flight is recorded).
        workers.stop(grace).await;
        let store = state.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
        result
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_controls_or_bad_encoding_are_refused() {
        assert!(check_component("/api/v1/public/reports/ABCD-EFGH", "path").is_ok());
        assert!(check_component("q=rina%2022&x=%C3%A9&y=100%", "query").is_ok());
        for bad in [
            "/public/reports/AB%00CD",
            "/banks/a%1Fb",
            "/x/%FF",
            "/x/%C2%85",
        ] {
            assert!(check_component(bad, "path").is_err(), "{bad}");
        }
    }
}
