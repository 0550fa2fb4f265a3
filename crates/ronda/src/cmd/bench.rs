//! `ronda bench intake`: a load generator for the intake API. It reports accepted reports per
//! second and latency percentiles, then (given the store options) counts the rows that really
//! landed, so a lost report shows up as a number, not a feeling.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use super::store_args::StoreArgs;

/// Benchmarks.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    /// One report per POST /api/v1/reports.
    Single,
    /// `--batch-size` reports per POST /api/v1/reports:batch.
    Batch,
}

#[derive(Debug, clap::Subcommand)]
enum BenchCommand {
    /// Load the intake API and measure it.
    Intake {
        /// Base URL of a running server.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// An API token allowed to submit reports (intake role or higher).
        #[arg(long, env = "RONDA_TOKEN")]
        token: String,
        #[arg(long, value_enum, default_value_t = Mode::Single)]
        mode: Mode,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Reports to send in total.
        #[arg(long, default_value_t = 20_000)]
        reports: usize,
        /// Reports per batch request.
        #[arg(long, default_value_t = 1000)]
        batch_size: usize,
        /// Share of reports that repeat an earlier target (exercises deduplication).
        #[arg(long, default_value_t = 0.3)]
        duplicates: f64,
        /// Platform the reports are about (must be registered).
        #[arg(long, default_value = "michat")]
        platform: String,
        /// Print the result as one JSON object.
        #[arg(long)]
        json: bool,
        /// Where the server stores data, to count the rows that landed (optional).
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Fill a store with synthetic cases, decisions and notices for timing `ronda stats`.
    #[command(hide = true)]
    StatsDb(super::bench_stats::Args),
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "index into a short slice"
    )]
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Occurrences of `needle` in `hay`.
fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

fn report_json(run: u64, i: usize, distinct: usize, platform: &str) -> serde_json::Value {
    let target = i % distinct;
    json!({
        "source": "patrol",
        "platform": platform,
        "target": {"account": format!("bench{run}_{target}")},
        "text": format!("ready open bo area kota, rate 350k, wa 0812{:07}", target % 10_000_000),
        "external_id": format!("bench-{run}-{i}"),
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let command = match args.command {
        BenchCommand::StatsDb(a) => return super::bench_stats::run(a),
        other => other,
    };
    let BenchCommand::Intake {
        url,
        token,
        mode,
        concurrency,
        reports,
        batch_size,
        duplicates,
        platform,
        json: as_json,
        store,
    } = command
    else {
        unreachable!("stats-db returned above")
    };
    let counting =
        store.config.is_some() || store.data_dir.is_some() || store.database_url.is_some();
    let store = if counting {
        Some(store.open()?.1)
    } else {
        None
    };
    let before = store.as_ref().map(ronda_store::Store::counts).transpose()?;

    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a share of a count"
    )]
    let distinct = ((reports as f64) * (1.0 - duplicates.clamp(0.0, 0.99))).max(1.0) as usize;
    let per_request = match mode {
        Mode::Single => 1,
        Mode::Batch => batch_size.max(1),
    };
    let requests = reports.div_ceil(per_request);

    // Bodies are serialised before the clock starts: the figure is the server's, not the
    // generator's JSON encoder.
    let bodies: Vec<bytes::Bytes> = (0..requests)
        .map(|r| {
            let lo = r * per_request;
            let hi = (lo + per_request).min(reports);
            let v = match mode {
                Mode::Single => report_json(run_id, lo, distinct, &platform),
                Mode::Batch => json!({"reports": (lo..hi).map(|i| report_json(run_id, i, distinct, &platform)).collect::<Vec<_>>()}),
            };
            bytes::Bytes::from(v.to_string())
        })
        .collect();
    let bodies = Arc::new(bodies);
    let endpoint = match mode {
        Mode::Single => format!("{url}/api/v1/reports"),
        Mode::Batch => format!("{url}/api/v1/reports:batch"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (latencies, accepted, errors, first_error, elapsed) = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .timeout(Duration::from_secs(60))
            .build()?;
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency.max(1) {
            let client = client.clone();
            let next = next.clone();
            let bodies = bodies.clone();
            let (endpoint, token) = (endpoint.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let (mut ok, mut err) = (0_usize, 0_usize);
                let mut first_err: Option<String> = None;
                loop {
                    let r = next.fetch_add(1, Ordering::Relaxed);
                    if r >= requests {
                        break;
                    }
                    let expected = (reports - r * per_request).min(per_request);
                    let t0 = Instant::now();
                    let resp = client
                        .post(&endpoint)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(bodies[r].clone())
                        .send()
                        .await;
                    let outcome: Result<usize, String> = match resp {
                        Ok(resp) if resp.status().is_success() => match resp.bytes().await {
                            // Every accepted item carries a report id; refused ones an error.
                            Ok(body) => {
                                let good = count(&body, b"\"report_id\":");
                                if good == expected {
                                    Ok(good)
                                } else {
                                    Err(format!("{} of {expected} items refused", expected - good))
                                }
                            }
                            Err(e) => Err(e.to_string()),
                        },
                        Ok(resp) => Err(format!("HTTP {}", resp.status())),
                        Err(e) => Err(e.to_string()),
                    };
                    lat.push(t0.elapsed());
                    match outcome {
                        Ok(n) => ok += n,
                        Err(e) => {
                            err += 1;
                            first_err.get_or_insert(e);
                        }
                    }
                }
                (lat, ok, err, first_err)
            }));
        }
        let mut all = Vec::with_capacity(requests);
        let (mut ok, mut err, mut first) = (0, 0, None);
        for t in tasks {
            let (lat, o, e, f) = t.await?;
            all.extend(lat);
            ok += o;
            err += e;
            if first.is_none() {
                first = f;
            }
        }
        anyhow::Ok((all, ok, err, first, started.elapsed()))
    })?;
    let mut latencies = latencies;
    latencies.sort_unstable();
    let after = store
        .as_ref()
        .map(ronda_store::Store::counts)
        .transpose()
        .context("counting rows")?;
    if let Some(s) = &store {
        s.close();
    }
    let rows_added = match (before, after) {
        (Some(b), Some(a)) => Some(a.reports - b.reports),
        _ => None,
    };
    let secs = elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "rates")]
    let (rps, qps) = (accepted as f64 / secs, latencies.len() as f64 / secs);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let lost = rows_added.map(|r| i64::try_from(accepted).unwrap_or(i64::MAX) - r);
    let result = json!({
        "mode": match mode { Mode::Single => "single", Mode::Batch => "batch" },
        "concurrency": concurrency,
        "requests": latencies.len(),
        "reports_accepted": accepted,
        "errors": errors,
        "seconds": secs,
        "reports_per_sec": rps,
        "requests_per_sec": qps,
        "latency_ms": {"p50": ms(percentile(&latencies, 0.5)), "p90": ms(percentile(&latencies, 0.9)),
                       "p99": ms(percentile(&latencies, 0.99)), "max": ms(percentile(&latencies, 1.0))},
        "rows_added": rows_added,
        "lost": lost,
    });
    if as_json {
        println!("{result}");
    } else {
        println!(
            "{} x{}: {} reports accepted in {:.2}s = {:.0} reports/s ({:.0} requests/s); latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; errors {}",
            result["mode"].as_str().unwrap_or(""),
            concurrency,
            accepted,
            secs,
            rps,
            qps,
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.9)),
            ms(percentile(&latencies, 0.99)),
            ms(percentile(&latencies, 1.0)),
            errors
        );
        match (rows_added, lost) {
            (Some(r), Some(l)) => println!("rows added to the store: {r}; lost: {l}"),
            _ => println!("(pass --data-dir or --database-url to count stored rows)"),
        }
    }
    if let Some(e) = first_error {
        eprintln!("first error: {e}");
    }
    Ok(if errors == 0 && lost.unwrap_or(0) == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
