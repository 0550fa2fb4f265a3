//! `ronda models list | show ID | shadow ID | unshadow | activate ID | rollback | gaps`: the registry of detection models
//! trained from the team's decisions (`ronda train --from-store --register`). Activating or
//! rolling back is audited under `cli:<user>` and reaches every running instance within its
//! `detection_poll_ms` (a detection reload is recorded in the same transaction).

use std::process::ExitCode;

use ronda_core::clock::to_rfc3339;

use super::store_args::{StoreArgs, cli_actor};

/// Detection models trained from decisions: list, inspect, put in use, roll back.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ModelsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ModelsCommand {
    /// Every registered model, newest first; `*` marks the one in use.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// One model: what it learnt from, how it scored, and — when it was in the shadow — how
    /// often it agreed with the model in use and the reports where they differ (JSON).
    Show {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Score every incoming report with a model too, beside the one in use, without affecting
    /// anything; `ronda models show ID` then reports how often they agree.
    Shadow {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Take the model out of the shadow.
    Unshadow {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Put a model in use on every instance.
    Activate {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Go back to the model in use before the last activation.
    Rollback {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// What the model in use missed: words and phrases frequent in confirmed cases it scored
    /// clear, and in rejected cases it flagged — the list to read when updating rules.
    Gaps {
        /// Only decisions taken on or after this day (WIB).
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<String>,
        /// Phrases listed per group.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The most shadow readings `show` reads (newest first).
const SHADOW_READINGS: i64 = 100_000;

fn name(id: Option<i64>) -> String {
    id.map_or_else(
        || "the configured model".to_string(),
        |i| format!("model {i}"),
    )
}

fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        ModelsCommand::List { store } => {
            let (_, store) = store.open()?;
            let models = store.list_models();
            store.close();
            let models = models?;
            if models.is_empty() {
                println!("no registered model; the configured (or built-in) model is in use");
            }
            for m in models {
                let metrics: serde_json::Value =
                    serde_json::from_str(&m.metrics_json).unwrap_or_default();
                let acc = metrics["hold_out"]["accuracy"].as_f64();
                println!(
                    "{} {:>4}  {}  {}  {} bytes  hold-out accuracy {}",
                    if m.active { "*" } else { " " },
                    m.id,
                    to_rfc3339(m.created_at),
                    m.created_by,
                    m.size,
                    acc.map_or_else(|| "—".to_string(), |a| format!("{a:.4}"))
                );
            }
        }
        ModelsCommand::Show { id, store } => {
            let (_, store) = store.open()?;
            let m = store.get_model(id);
            let readings = store.shadow_readings(id, SHADOW_READINGS);
            let shadow_now = store.shadow_model().map(|s| s.map(|(s, _)| s));
            store.close();
            let Some(m) = m? else {
                anyhow::bail!("model {id} is not registered");
            };
            let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_default();
            let in_shadow = shadow_now?.filter(|s| s.model_id == id);
            let out = serde_json::json!({
                "id": m.id, "created_at": to_rfc3339(m.created_at), "created_by": m.created_by,
                "sha256": m.sha256, "size": m.size, "active": m.active,
                "in_shadow_since": in_shadow.map(|s| to_rfc3339(s.since)),
                "training": parse(&m.training_json), "metrics": parse(&m.metrics_json),
                "shadow": ronda_service::models::agreement(&readings?),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        ModelsCommand::Gaps {
            since,
            top,
            json,
            store,
        } => return gaps(since.as_deref(), top, json, &store),
        ModelsCommand::Shadow { id, store } => {
            let (_, store) = store.open()?;
            let done = block_on(store.set_shadow_model(cli_actor(), Some(id)))?;
            store.close();
            let reload = done?;
            println!(
                "model {id} in the shadow: every report is scored by it too (reload {reload})"
            );
        }
        ModelsCommand::Unshadow { store } => {
            let (_, store) = store.open()?;
            let done = block_on(store.set_shadow_model(cli_actor(), None))?;
            store.close();
            let reload = done?;
            println!("no model in the shadow (reload {reload})");
        }
        ModelsCommand::Activate { id, store } => {
            let (_, store) = store.open()?;
            let done = block_on(store.activate_model(cli_actor(), id))?;
            store.close();
            let s = done?;
            println!(
                "{} in use (was {}); every instance loads it within its detection poll (reload {})",
                name(s.to),
                name(s.from),
                s.reload_version
            );
        }
        ModelsCommand::Rollback { store } => {
            let (_, store) = store.open()?;
            let done = block_on(store.rollback_model(cli_actor()))?;
            store.close();
            let s = done?;
            println!(
                "{} in use again (was {}); reload {}",
                name(s.to),
                name(s.from),
                s.reload_version
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Words every post has: never a phrase of their own in `gaps`.
const STOP: &[&str] = &[
    "yang", "di", "ke", "dan", "ini", "itu", "aja", "ya", "kak", "ada", "dari", "untuk", "buat",
    "dengan", "atau", "juga", "saya", "aku", "kamu", "mau", "bisa", "sama", "lagi", "udah",
    "sudah", "the", "nya",
];

/// The phrases of a text: its normalised words and word pairs (no stop words alone).
fn phrases(text: &str) -> std::collections::BTreeSet<String> {
    let n = ronda_detect::normalize::normalize(text);
    let words: Vec<&str> = n
        .as_str()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1)
        .collect();
    let mut out = std::collections::BTreeSet::new();
    for (i, w) in words.iter().enumerate() {
        if !STOP.contains(w) {
            out.insert((*w).to_string());
        }
        if let Some(next) = words.get(i + 1)
            && !(STOP.contains(w) && STOP.contains(next))
        {
            out.insert(format!("{w} {next}"));
        }
    }
    out
}

/// The phrases of at least 3 of `group`'s cases that are more than 1.5 times as frequent there
/// as in the rest, most frequent first (then by how much more frequent).
fn distinctive(
    group: &[std::collections::BTreeSet<String>],
    rest: &[std::collections::BTreeSet<String>],
    top: usize,
) -> Vec<serde_json::Value> {
    use std::collections::BTreeMap;
    fn count(sets: &[std::collections::BTreeSet<String>]) -> BTreeMap<&str, usize> {
        let mut m: BTreeMap<&str, usize> = BTreeMap::new();
        for s in sets {
            for p in s {
                *m.entry(p.as_str()).or_default() += 1;
            }
        }
        m
    }
    let (g, r) = (count(group), count(rest));
    #[allow(clippy::cast_precision_loss, reason = "ratios for people")]
    let lift = |n: usize, phrase: &str| {
        let in_rest = r.get(phrase).copied().unwrap_or(0);
        (n as f64 / group.len().max(1) as f64) / ((in_rest + 1) as f64 / (rest.len() + 1) as f64)
    };
    let mut rows: Vec<(f64, usize, &str)> = g
        .iter()
        .filter(|(_, n)| **n >= 3)
        .map(|(p, n)| (lift(*n, p), *n, *p))
        .filter(|(l, _, _)| *l > 1.5)
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.total_cmp(&a.0)).then(a.2.cmp(b.2)));
    rows.into_iter()
        .take(top)
        .map(|(l, n, p)| serde_json::json!({"phrase": p, "cases": n, "in_other_cases": r.get(p).copied().unwrap_or(0), "lift": (l * 100.0).round() / 100.0}))
        .collect()
}

fn gaps(
    since: Option<&str>,
    top: usize,
    as_json: bool,
    store: &StoreArgs,
) -> anyhow::Result<ExitCode> {
    let since_ms = match since {
        Some(d) => ronda_core::wib::day_start_ms(
            ronda_core::wib::parse_date(d)
                .ok_or_else(|| anyhow::anyhow!("--since: `{d}` is not a date (YYYY-MM-DD)"))?,
        ),
        None => i64::MIN,
    };
    let (config, store) = store.open()?;
    let decided = store.decided_cases(since_ms);
    let in_use = ronda_service::detection::engine_in_use(&config, &store);
    store.close();
    let decided = decided?;
    let (engine, model) = in_use.map_err(|e| anyhow::anyhow!("the model in use: {e}"))?;
    let (mut missed, mut false_alarms, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for d in &decided {
        // What the model calls each text: the category of a non-clear verdict, else none.
        let read: Vec<Option<ronda_detect::Category>> =
            d.texts.iter().map(|t| engine.analyze(t).category).collect();
        let flagged_as = |c: &str| read.iter().flatten().any(|k| k.as_str() == c);
        let any_flag = read.iter().any(Option::is_some);
        let set: std::collections::BTreeSet<String> =
            d.texts.iter().flat_map(|t| phrases(t)).collect();
        match (d.decision.as_str(), d.category.as_deref()) {
            ("confirm", Some(c @ ("prostitution" | "pornography" | "gambling")))
                if !flagged_as(c) =>
            {
                missed.push(set)
            }
            ("reject", _) if any_flag => false_alarms.push(set),
            _ => rest.push(set),
        }
    }
    let rest_for_missed: Vec<_> = rest.iter().chain(&false_alarms).cloned().collect();
    let rest_for_alarms: Vec<_> = rest.iter().chain(&missed).cloned().collect();
    let out = serde_json::json!({
        "model": model, "decided_cases": decided.len(),
        "missed": {"cases": missed.len(), "phrases": distinctive(&missed, &rest_for_missed, top)},
        "false_alarms": {"cases": false_alarms.len(), "phrases": distinctive(&false_alarms, &rest_for_alarms, top)},
    });
    if as_json {
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("model in use: {model}; {} decided cases", decided.len());
    for (key, title) in [
        ("missed", "confirmed, but the model scored them clear"),
        ("false_alarms", "rejected, but the model flagged them"),
    ] {
        println!("\n{title}: {} cases", out[key]["cases"]);
        for p in out[key]["phrases"].as_array().into_iter().flatten() {
            println!(
                "  {:<32} {:>5} cases (in {} other cases, lift {})",
                p["phrase"].as_str().unwrap_or_default(),
                p["cases"],
                p["in_other_cases"],
                p["lift"]
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
