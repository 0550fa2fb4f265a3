//! `ronda bench stats-db`: fills a store with synthetic cases, decisions and notices in big
//! transactions (multi-row inserts through the writer; see `ronda_store::synth`), with
//! realistic shapes: most cases confirmed and removed, some refused, overdue or rejected,
//! child-related ones rare and urgent, a few content re-appearances. Deterministic for a seed.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use ronda_core::wib::day_start_ms as wib_day_start_ms;
use ronda_store::synth::{SynthCase, SynthDecision, SynthNotice};

use super::store_args::StoreArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Cases to generate.
    #[arg(long, default_value_t = 1_000_000)]
    cases: u64,
    /// Cases per transaction.
    #[arg(long, default_value_t = 100_000)]
    chunk: u64,
    /// First day (WIB) of the two years the cases are spread over.
    #[arg(long, default_value = "2023-01-01")]
    start: String,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[command(flatten)]
    store: StoreArgs,
}

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn below_i64(&mut self, n: i64) -> i64 {
        i64::try_from(self.below(u64::try_from(n.max(1)).unwrap_or(1))).unwrap_or(0)
    }
    /// Picks an index by integer weights.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut r = self.below(weights.iter().sum());
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

const HOUR: i64 = 3_600_000;
const CATEGORIES: [Option<&str>; 6] = [
    Some("prostitution"),
    Some("gambling"),
    Some("pornography"),
    Some("other"),
    Some("child_exploitation"),
    None,
];
/// Per 100,000 cases: child exploitation is rare (10 in 100,000).
const CATEGORY_WEIGHTS: [u64; 6] = [45_000, 30_000, 17_990, 4_000, 10, 3_000];

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let start_day = ronda_core::wib::parse_date(&args.start)
        .with_context(|| format!("--start: `{}` is not a YYYY-MM-DD date", args.start))?;
    // The synthetic data spans two years of days (731).
    let span_ms = 731 * ronda_core::wib::DAY_MS;
    let t0 = wib_day_start_ms(start_day);
    let (_, store) = args.store.open()?;
    let result = generate(&store, &args, t0, span_ms);
    store.close();
    result?;
    Ok(ExitCode::SUCCESS)
}

fn generate(store: &ronda_store::Store, args: &Args, t0: i64, span_ms: i64) -> anyhow::Result<()> {
    let platforms: Vec<i64> = store.read(|c| {
        c.query(
            "SELECT id FROM platforms ORDER BY id",
            ronda_store::params![],
        )?
        .iter()
        .map(|r| r.i64(0))
        .collect()
    })?;
    anyhow::ensure!(!platforms.is_empty(), "no platforms registered");
    let platform_weights: Vec<u64> = (0..platforms.len())
        .map(|i| [30, 20, 15, 10, 8, 7, 5, 5].get(i).copied().unwrap_or(2))
        .collect();
    let first_id: i64 = store.read(|c| {
        c.query_one(
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM cases",
            ronda_store::params![],
        )?
        .i64(0)
    })? + 1;
    let total = i64::try_from(args.cases).unwrap_or(i64::MAX);
    let step = span_ms / total.max(1);
    let mut rng = Rng(args.seed);
    let started = Instant::now();
    let (mut n_dec, mut n_not) = (0_u64, 0_u64);
    let mut done: i64 = 0;
    while done < total {
        let n = (total - done).min(i64::try_from(args.chunk.max(1)).unwrap_or(100_000));
        let mut cases = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        let mut decisions = Vec::new();
        let mut notices = Vec::new();
        for i in done..done + n {
            let id = first_id + i;
            // Cases arrive in time order, spread evenly with jitter of up to one step.
            let created = t0 + i * step + rng.below_i64(step.max(1));
            let platform_id = platforms[rng.weighted(&platform_weights)];
            let category = CATEGORIES[rng.weighted(&CATEGORY_WEIGHTS)];
            let child = category == Some("child_exploitation");
            let priority = if child {
                3
            } else {
                [0, 1, 2, 3][rng.weighted(&[10, 60, 25, 5])]
            };
            let mut reports = [0_i64; 4];
            reports[rng.weighted(&[55, 5, 30, 10])] += 1;
            if rng.below(5) == 0 {
                reports[2] += 1 + rng.below_i64(3);
            }
            let previous_case_id =
                (i > 1000 && rng.below(50) == 0).then(|| first_id + rng.below_i64(i));
            // 80 % decided within a day; 85 % of those confirmed.
            let decided = rng.below(100) < 80;
            let confirmed = decided && rng.below(100) < 85;
            let decided_at = created + rng.below_i64(24 * HOUR);
            let mut status = if !decided {
                "new"
            } else if confirmed {
                "notice_sent"
            } else {
                "rejected"
            };
            if decided {
                decisions.push(SynthDecision {
                    case_id: id,
                    decision: if confirmed { "confirm" } else { "reject" },
                    category,
                    created_at: decided_at,
                });
            }
            if confirmed {
                let urgent = child || priority == 3;
                let deadline = decided_at + if urgent { 4 * HOUR } else { 24 * HOUR };
                let outcome = rng.weighted(&[80, 8, 5, 7]);
                // Time to verified removal: mostly within hours, a long tail past the deadline.
                let took =
                    (rng.below_i64(36 * HOUR)).min(rng.below_i64(36 * HOUR)) + rng.below_i64(HOUR);
                let (nstatus, response, closed) = match outcome {
                    0 => (
                        "removed",
                        Some(("removed", decided_at + took / 2)),
                        Some(decided_at + took),
                    ),
                    1 => (
                        "refused",
                        Some(("refused", decided_at + rng.below_i64(12 * HOUR))),
                        None,
                    ),
                    2 => ("sent", None, None),
                    _ => (
                        "removal_claimed",
                        Some(("removed", decided_at + took)),
                        None,
                    ),
                };
                status = match nstatus {
                    "removed" => "removed",
                    "refused" => "escalated",
                    "removal_claimed" => "removal_claimed",
                    _ => "notice_sent",
                };
                notices.push(SynthNotice {
                    case_id: id,
                    platform_id,
                    status: nstatus,
                    category: category.unwrap_or("other"),
                    created_at: decided_at,
                    deadline,
                    response_action: response.map(|r| r.0),
                    responded_at: response.map(|r| r.1),
                    closed_at: closed,
                });
            }
            cases.push(SynthCase {
                id,
                platform_id,
                status,
                category,
                priority,
                reports,
                created_at: created,
                previous_case_id,
            });
        }
        n_dec += decisions.len() as u64;
        n_not += notices.len() as u64;
        store.insert_synthetic_blocking(cases, decisions, notices)?;
        done += n;
        eprintln!(
            "{done} cases, {n_dec} decisions, {n_not} notices ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "{{\"cases\":{done},\"decisions\":{n_dec},\"notices\":{n_not},\"seconds\":{:.1}}}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
