//! `ronda patrol run [--once] [--nats URL] | status [--nats URL]`: the patrol crawler over the
//! watch lists, with the frontier in the store (several `ronda patrol run` on one database
//! share it) or, with `--nats`, on NATS JetStream (any number of crawlers on any machines share
//! it; `ronda_patrol::jet`). Either way one request in flight per host across all crawlers.
//! Findings are `patrol` reports through the one intake, audited under `patrol:<pid>`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ronda_core::clock::to_rfc3339;
use ronda_patrol::crawl::{Patrol, PatrolConfig, RunStats};
use ronda_patrol::jet::{JetConfig, JetFrontier};
use ronda_patrol::metrics::PatrolMetrics;
use ronda_service::detection::Detector;
use ronda_store::frontier::FrontierCounts;
use ronda_store::watchlists::WatchListRow;

use super::store_args::StoreArgs;

/// The patrol crawler.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PatrolCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PatrolCommand {
    /// Crawl the due watch lists; with `--once`, until nothing is due, then exit 0.
    Run {
        #[arg(long)]
        once: bool,
        /// Share the frontier on NATS JetStream (`nats://127.0.0.1:4222`) with every crawler
        /// that names the same server and `[patrol] nats_prefix`.
        #[arg(long, value_name = "URL")]
        nats: Option<String>,
        /// Serve this crawler's Prometheus metrics at `http://ADDR/metrics` (fetches, bytes,
        /// errors by kind, reports, images, the frontier's gauges). No token: bind it to
        /// loopback or the monitoring network.
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<SocketAddr>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The frontier: queued, due, in flight, failed; hosts; each watch list's next round.
    Status {
        /// Read the frontier on NATS JetStream instead of the store's.
        #[arg(long, value_name = "URL")]
        nats: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        PatrolCommand::Run {
            once,
            nats,
            metrics_listen,
            store,
        } => {
            let (config, store) = store.open()?;
            let detector = Detector::from_config(&config).map_err(anyhow::Error::msg)?;
            detector
                .refresh(&config, &store)
                .map_err(anyhow::Error::msg)?;
            let mut policy = config.outbound_policy()?;
            policy.timeout = Duration::from_secs(config.patrol.fetch_timeout_secs.max(1));
            let outbound = ronda_outbound::Outbound::new(policy)?;
            let patrol_config = PatrolConfig::from_settings(&config.patrol);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let result = rt.block_on(async {
                let mut patrol = Patrol::new(&store, &detector, &outbound, patrol_config);
                let metrics = Arc::new(PatrolMetrics::default());
                patrol.metrics = metrics.clone();
                if let Some(addr) = metrics_listen {
                    serve_metrics(addr, metrics.clone()).await?;
                }
                if let Some(url) = nats {
                    let jet = JetFrontier::connect(jet_config(url, &config.patrol)).await?;
                    let stop = async {
                        let _ = tokio::signal::ctrl_c().await;
                    };
                    let stats = tokio::select! {
                        s = patrol.run_on(&jet, once, stop) => s?,
                        () = jet_gauges(&jet, &metrics) => unreachable!("the gauges loop runs until the crawl ends"),
                    };
                    print_stats(&stats);
                    return Ok::<_, anyhow::Error>(());
                }
                loop {
                    let stats = patrol.run_once().await?;
                    print_stats(&stats);
                    if let Err(e) = patrol.observe_frontier().await {
                        tracing::warn!(error = %e, "counting the frontier failed");
                    }
                    if once {
                        return Ok::<_, anyhow::Error>(());
                    }
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => return Ok(()),
                        () = tokio::time::sleep(Duration::from_secs(5)) => {}
                    }
                }
            });
            drop(rt);
            store.close();
            result?;
        }
        PatrolCommand::Status {
            nats: Some(url),
            store,
        } => {
            let (config, store) = store.open()?;
            let lists = store.list_watchlists();
            store.close();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let c = rt.block_on(async {
                let jet = JetFrontier::connect(jet_config(url, &config.patrol)).await?;
                jet.counts().await
            })?;
            println!(
                "frontier (JetStream {}): {} queued, {} in flight; {} URLs seen; {} hosts, {} busy, {} failing",
                config.patrol.nats_prefix,
                c.queued,
                c.in_flight,
                c.urls,
                c.hosts,
                c.hosts_busy,
                c.hosts_failing
            );
            print_lists(&lists?);
        }
        PatrolCommand::Status { nats: None, store } => {
            let (_, store) = store.open()?;
            let now = store.now_ms();
            let counts = store.frontier_counts(now);
            let lists = store.list_watchlists();
            store.close();
            let c = counts?;
            println!(
                "frontier: {} queued ({} due now), {} in flight, {} given up; {} hosts, {} failing",
                c.queued, c.due, c.claimed, c.failed, c.hosts, c.hosts_failing
            );
            print_lists(&lists?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Serves `GET /metrics` on `addr` (a background task of the runtime); says where on stdout.
async fn serve_metrics(addr: SocketAddr, metrics: Arc<PatrolMetrics>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move {
                let mut out = String::new();
                metrics.render(&mut out);
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    out,
                )
            }
        }),
    );
    // Scripts and tests read this line to find the port.
    println!("patrol metrics on http://{bound}/metrics");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// The JetStream frontier's counts as the metrics' gauges, every 15 seconds, for as long as
/// the crawl runs (queued jobs as queued and due, held ones as in flight).
async fn jet_gauges(jet: &JetFrontier, metrics: &PatrolMetrics) {
    loop {
        match jet.counts().await {
            Ok(c) => {
                let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                metrics.frontier(FrontierCounts {
                    queued: n(c.queued),
                    due: n(c.queued),
                    claimed: n(c.in_flight),
                    failed: 0,
                    hosts: n(c.hosts),
                    hosts_failing: n(c.hosts_failing),
                });
            }
            Err(e) => tracing::warn!(error = %e, "counting the JetStream frontier failed"),
        }
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
}

fn jet_config(url: String, p: &ronda_service::config::Patrol) -> JetConfig {
    JetConfig {
        url,
        prefix: p.nats_prefix.clone(),
        ack_wait: Duration::from_secs(p.nats_ack_wait_secs),
    }
}

fn print_stats(stats: &RunStats) {
    println!(
        "fetched {} (not modified {}), reported {}, refused by robots.txt {}, errors {}, new URLs {}, already fetched {}; \
         images hashed {} (failed {}, bank matches {}); removals verified {}, still online {}",
        stats.fetched,
        stats.not_modified,
        stats.reported,
        stats.robots_refused,
        stats.errors,
        stats.enqueued,
        stats.skipped,
        stats.images_hashed,
        stats.images_failed,
        stats.images_matched,
        stats.removals_verified,
        stats.still_online
    );
}

fn print_lists(lists: &[WatchListRow]) {
    for w in lists {
        println!(
            "{:>4}  {:<8}  {}  next round {}{}",
            w.id,
            if w.enabled { "enabled" } else { "disabled" },
            w.list.name,
            to_rfc3339(w.next_run_at),
            w.last_run_at
                .map(|t| format!(", last {}", to_rfc3339(t)))
                .unwrap_or_default()
        );
    }
}
