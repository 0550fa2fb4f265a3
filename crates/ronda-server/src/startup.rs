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

use crate::error::ApiError;
use crate::permissions;
use crate::routes;
use crate::state::AppState;

/// The whole HTTP surface for a given state.
pub fn app(state: Arc<AppState>) -> Router {
    let api = routes::api_router(&state).merge(routes::health::router());
    Router::new()
        .nest("/api/v1", api)
        .merge(routes::health::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            permissions::authorize,
        ))
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
    /// Binds `state.config.listen` (port 0 picks a free port). The error names the address
    /// and where it is set (`listen`, `RONDA_LISTEN`, `--listen`).
    pub async fn bind(state: Arc<AppState>) -> std::io::Result<Self> {
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
        let escalations = tokio::spawn(escalation_worker(state.clone()));
        let deliveries = tokio::spawn(webhook_worker(state.clone()));
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
        escalations.abort();
        deliveries.abort();
        let store = state.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
        result
    }
}

/// The escalation worker: one pass of [`ronda_store::notices::escalate_due`] every
/// `escalation_interval_secs` (the step itself is tested directly, with an injected clock).
async fn escalation_worker(state: Arc<AppState>) {
    let mut tick =
        tokio::time::interval(Duration::from_secs(state.config.escalation_interval_secs));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let policy = state.config.deadline_policy();
    loop {
        tick.tick().await;
        let store = state.store.clone();
        let policy = policy.clone();
        let pass = tokio::task::spawn_blocking(move || {
            let now = store.now_ms();
            store.run_escalations_blocking("system:escalation", &policy, now)
        })
        .await;
        match pass {
            Ok(Ok(steps)) if !steps.is_empty() => {
                tracing::info!(steps = steps.len(), "escalation rungs applied");
            }
            Ok(Err(e)) => tracing::error!(error = %e, "escalation pass failed"),
            _ => {}
        }
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

/// The webhook worker: every `webhook_interval_ms`, POSTs the outbox's due events, signed, and
/// records each attempt (a failure is retried after a doubling backoff). The outbox is in the
/// database, so a restart loses nothing; an event is sent again only if the process stopped
/// between a 2xx and its record (at-least-once: receivers deduplicate on `notice_id` + `event`).
/// Delivers the outbox: every tick, each platform with a due event that this instance is not
/// already serving gets a task that claims and sends that platform's events one by one until
/// none is due (see `ronda_store::webhooks`). Platforms never wait for each other.
async fn webhook_worker(state: Arc<AppState>) {
    let busy: Arc<std::sync::Mutex<std::collections::HashSet<i64>>> = Arc::default();
    let mut tick = tokio::time::interval(Duration::from_millis(state.config.webhook_interval_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let serving: Vec<i64> = lock(&busy).iter().copied().collect();
        let store = state.store.clone();
        let due =
            tokio::task::spawn_blocking(move || store.due_platforms(store.now_ms(), &serving))
                .await;
        let platforms = match due {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "reading the webhook outbox failed");
                continue;
            }
            Err(_) => continue,
        };
        for platform in platforms {
            if !lock(&busy).insert(platform) {
                continue;
            }
            let (state, busy) = (state.clone(), busy.clone());
            tokio::spawn(async move {
                deliver_platform(&state, platform).await;
                lock(&busy).remove(&platform);
            });
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sends one platform's due events in order, each under a claim longer than a request can take.
async fn deliver_platform(state: &AppState, platform: i64) {
    let timeout_ms =
        i64::try_from(state.config.webhook_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let lease_ms = timeout_ms.saturating_mul(2).saturating_add(30_000);
    loop {
        let d = match state.store.claim_delivery(platform, lease_ms).await {
            Ok(Some(d)) => d,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(platform, error = %e, "claiming a webhook event failed");
                return;
            }
        };
        let ts = state.store.now_ms() / 1000;
        let signature = ronda_core::webhook::sign(&d.secret, ts, d.payload.as_bytes());
        let ts = ts.to_string();
        let headers = [
            ("content-type", "application/json"),
            ("x-ronda-timestamp", ts.as_str()),
            ("x-ronda-signature", signature.as_str()),
            ("x-ronda-delivery", d.delivery_id.as_str()),
        ];
        let sent = state
            .outbound
            .post(&d.url, &headers, d.payload.clone().into_bytes())
            .await;
        let (status, error) = match sent {
            Ok(status) => (Some(status), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let base = state.config.webhook_backoff_ms;
        if let Err(e) = state
            .store
            .record_delivery(d.outbox_id, d.claim_token, status, error, base)
            .await
        {
            tracing::error!(outbox_id = d.outbox_id, error = %e, "recording a webhook attempt failed");
            return;
        }
    }
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
