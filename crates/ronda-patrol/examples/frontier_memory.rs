//! How much a frontier of many URLs costs (`bench/patrol/frontier_memory.sh`): `URLS` URLs over
//! 10,000 hosts queued for one watch list, in the embedded store (SQLite in a temporary data
//! directory) or on NATS JetStream (`--nats URL`: the stream and buckets of prefix
//! `RONDA_MEMBENCH`, removed afterwards). Prints, as `key value` lines: the time to queue them,
//! this process's peak resident memory, the bytes on disk (the SQLite files; the JetStream
//! store directory's growth), the NATS server's resident memory, and the time of the calls a
//! crawler makes against a full frontier (claiming a batch, counting).
//!
//! ```text
//! cargo run --release -p ronda-patrol --example frontier_memory -- URLS [--nats URL] [--store DIR]
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark tool: a panic stops the run"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ronda_core::clock::SystemClock;
use ronda_core::crawl::watchlist::{Scope, WatchListSpec};
use ronda_patrol::jet::{JetConfig, JetFrontier};
use ronda_store::frontier::NewUrl;

const HOSTS: usize = 10_000;
const CHUNK: usize = 10_000;

fn url(i: usize) -> NewUrl {
    let h = i % HOSTS;
    NewUrl {
        url: format!("https://forum{h}.example/thread/{i}?page=1"),
        host: format!("https://forum{h}.example:443"),
        depth: 1,
    }
}

/// A `/proc/<pid>/status` field in KiB.
fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn dir_bytes(p: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(p) else {
        return std::fs::metadata(p).map_or(0, |m| m.len());
    };
    entries
        .flatten()
        .map(|e| {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                dir_bytes(&e.path())
            } else {
                m.len()
            }
        })
        .sum()
}

fn nats_pid() -> Option<String> {
    let out = std::process::Command::new("pgrep")
        .args(["-x", "nats-server"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(str::to_string)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).expect("URLS");
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let dir = tempfile_dir();
    let config = ronda_service::config::Config {
        data_dir: dir.clone(),
        ..ronda_service::config::Config::default()
    };
    let store = ronda_service::bootstrap::open_store(&config, Arc::new(SystemClock)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let spec = WatchListSpec {
        name: "memory".into(),
        seeds: vec!["https://forum0.example/".into()],
        depth: 3,
        scope: Scope::Host,
        hosts: vec![],
        every_ms: 86_400_000,
        ignore_robots: false,
        keywords: vec![],
    };
    let w = rt
        .block_on(store.create_watchlist("bench".into(), spec.validate().unwrap()))
        .unwrap();
    let started = Instant::now();
    match flag("--nats") {
        None => {
            rt.block_on(async {
                for from in (0..n).step_by(CHUNK) {
                    let urls: Vec<NewUrl> = (from..(from + CHUNK).min(n)).map(url).collect();
                    store.enqueue_urls(w, urls, 0).await.unwrap();
                }
            });
            let queued = started.elapsed();
            println!("mode embedded");
            println!("urls {n}");
            println!("queue_seconds {:.1}", queued.as_secs_f64());
            println!("disk_bytes {}", dir_bytes(&dir));
            // The first claim after the bulk load may pay for a WAL truncation; five in a row.
            let mut took = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let claimed = rt
                    .block_on(store.claim_fetches("bench".into(), 8, 60_000))
                    .unwrap();
                took.push(format!("{:.1}", t.elapsed().as_secs_f64() * 1e3));
                assert_eq!(claimed.len(), 8);
            }
            println!("claim_8_ms {}", took.join(" "));
            let t = Instant::now();
            let counts = store.frontier_counts(store.now_ms()).unwrap();
            println!("count_ms {:.1}", t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(counts.queued + counts.claimed, i64::try_from(n).unwrap());
            assert_eq!(counts.claimed, 40);
        }
        Some(nats) => {
            let store_dir = PathBuf::from(
                flag("--store").unwrap_or_else(|| "/var/lib/nats-server/jetstream".into()),
            );
            let before_disk = dir_bytes(&store_dir);
            let pid = nats_pid();
            let before_rss = pid.as_deref().map_or(0, |p| status_kib(p, "VmRSS:"));
            let jet = rt
                .block_on(JetFrontier::connect(JetConfig {
                    url: nats,
                    prefix: "RONDA_MEMBENCH".into(),
                    ack_wait: Duration::from_secs(60),
                }))
                .unwrap();
            rt.block_on(async {
                for from in (0..n).step_by(CHUNK) {
                    let urls: Vec<NewUrl> = (from..(from + CHUNK).min(n)).map(url).collect();
                    jet.enqueue_urls(w, &urls, 1, 512).await.unwrap();
                }
            });
            let queued = started.elapsed();
            let c = rt.block_on(jet.counts()).unwrap();
            println!("mode nats");
            println!("urls {n}");
            println!("queue_seconds {:.1}", queued.as_secs_f64());
            println!("stream_messages {}", c.queued);
            println!("url_entries {}", c.urls);
            println!(
                "disk_bytes {}",
                dir_bytes(&store_dir).saturating_sub(before_disk)
            );
            if let Some(p) = &pid {
                let rss = status_kib(p, "VmRSS:");
                println!("nats_rss_kib_before {before_rss}");
                println!("nats_rss_kib {rss}");
            }
            if args.iter().all(|a| a != "--keep") {
                rt.block_on(jet.destroy()).unwrap();
            }
        }
    }
    println!("process_peak_rss_kib {}", status_kib("self", "VmHWM:"));
    store.close();
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ronda-frontier-memory-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
