//! `ronda serve`: the HTTP service on the embedded default or PostgreSQL.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ronda_core::clock::SystemClock;
use ronda_patrol::crawl::{Patrol, PatrolConfig, RunStats};
use ronda_patrol::metrics::PatrolMetrics;
use ronda_server::startup::{Application, shutdown_signal};
use ronda_server::state::AppState;
use ronda_service::bootstrap::{admin_token_path, first_start, open_store};

use super::store_args::StoreArgs;

/// Run the Ronda service.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// On the first start, also print the new admin token on standard output (by default it
    /// is only written to `<data_dir>/admin.token`, mode 0600: standard output ends up in logs).
    #[arg(long)]
    print_token: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.store.config(args.listen)?;
    let store = open_store(&config, Arc::new(SystemClock))?;
    if let Some(secret) = first_start(&store, &config)? {
        println!(
            "First start: created an admin token in {} (mode 0600; read it there)",
            admin_token_path(&config.data_dir).display()
        );
        if args.print_token {
            println!("{secret}");
        }
    }
    // The evidence signing key exists from the first start on (mode 0600).
    let seed = ronda_service::bootstrap::signing_key(&config)?;
    // Every instance on one database signs with the same key (bundles verify against one).
    store
        .check_key_blocking(
            "signing",
            "signing_key_file",
            ronda_core::evidence::public_key_hex(&seed),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(
        public_key = %ronda_core::evidence::public_key_hex(&seed),
        "evidence bundles are signed with this Ed25519 key (`ronda keys show`)"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ronda-http")
        .build()?;
    runtime.block_on(async move {
        let db = store.location().display();
        let state = Arc::new(
            AppState::new(store, config).map_err(|e| anyhow::anyhow!("detection engine: {e}"))?,
        );
        // A model activated from the registry is in use from the first report on.
        state
            .refresh_detection()
            .await
            .map_err(|e| anyhow::anyhow!("detection engine: {e}"))?;
        tracing::info!(model = %state.detector.model(), "detection model in use");
        spawn_reload_on_sighup(state.clone());
        let patrol = if state.config.patrol.in_serve {
            Some(spawn_patrol(state.clone())?)
        } else {
            None
        };
        let app = Application::bind(state).await?;
        let addr = app.local_addr()?;
        tracing::info!(%addr, %db, "ronda serving");
        // Scripts and tests read this line to find the port.
        println!("ronda listening on http://{addr} (database {db})");
        app.run(shutdown_signal()).await?;
        // A crawl cut short loses only its claims, which lapse (`crawl_frontier` leases).
        if let Some(p) = patrol {
            p.abort();
        }
        tracing::info!("stopped cleanly");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// How long the patrol inside `ronda serve` rests when nothing is due.
const PATROL_IDLE: Duration = Duration::from_secs(5);

/// The patrol inside the service (the embedded default; `[patrol] in_serve`): pass after pass
/// over the due watch lists and re-checks, with the service's store and detection engine (a
/// reloaded model is used from the next page on), and its own outbound client with the
/// patrol's time-out. A failed pass is logged and tried again after the rest.
fn spawn_patrol(state: Arc<AppState>) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut policy = state.config.outbound_policy()?;
    policy.timeout = Duration::from_secs(state.config.patrol.fetch_timeout_secs.max(1));
    let outbound = ronda_outbound::Outbound::new(policy)?;
    let config = PatrolConfig::from_settings(&state.config.patrol);
    tracing::info!(worker = %config.worker, "the patrol runs inside the service");
    let metrics = Arc::new(PatrolMetrics::default());
    let shown = metrics.clone();
    state
        .metrics
        .also_render(Box::new(move |out| shown.render(out)));
    Ok(tokio::spawn(async move {
        let mut patrol = Patrol::new(&state.store, &state.detector, &outbound, config);
        patrol.metrics = metrics;
        loop {
            match patrol.run_once().await {
                Ok(stats) if stats != RunStats::default() => {
                    tracing::info!(?stats, "patrol pass");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "patrol pass failed; trying again"),
            }
            if let Err(e) = patrol.observe_frontier().await {
                tracing::warn!(error = %e, "counting the patrol's frontier failed");
            }
            tokio::time::sleep(PATROL_IDLE).await;
        }
    }))
}

/// SIGHUP reloads the detection rules and model (as `POST /api/v1/admin/detection/reload`).
fn spawn_reload_on_sighup(state: Arc<AppState>) {
    // The handler is installed here, before the server says it is serving: installed inside
    // the spawned task, a SIGHUP arriving before the task first ran took the default action
    // and ended the process.
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; reload through the API instead");
            return;
        };
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                match state.reload_detection("system:sighup".into()).await {
                    Ok(version) => {
                        tracing::info!(version, "SIGHUP: detection rules and model reloaded")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "SIGHUP: reload failed; the previous engine stays")
                    }
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = state;
}
