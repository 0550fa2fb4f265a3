//! `ronda patrol run [--once] | status`: the patrol crawler over the watch lists, with the
//! frontier in the store (several `ronda patrol run` on one database share it: one request in
//! flight per host across all of them). Findings are `patrol` reports through the one intake,
//! audited under `patrol:<pid>`.

use std::process::ExitCode;
use std::time::Duration;

use ronda_core::clock::to_rfc3339;
use ronda_patrol::crawl::{Patrol, PatrolConfig};
use ronda_service::detection::Detector;

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
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The frontier: queued, due, in flight, failed; hosts; each watch list's next round.
    Status {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        PatrolCommand::Run { once, store } => {
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
                let patrol = Patrol::new(&store, &detector, &outbound, patrol_config);
                loop {
                    let stats = patrol.run_once().await?;
                    println!(
                        "fetched {} (not modified {}), reported {}, refused by robots.txt {}, errors {}, new URLs {}",
                        stats.fetched,
                        stats.not_modified,
                        stats.reported,
                        stats.robots_refused,
                        stats.errors,
                        stats.enqueued
                    );
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
        PatrolCommand::Status { store } => {
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
            for w in lists? {
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
    }
    Ok(ExitCode::SUCCESS)
}
