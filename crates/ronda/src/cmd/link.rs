//! `ronda link`: link accounts into actors and flag re-created accounts.
//!
//! - `ronda link FILE.jsonl` (or `ronda link run FILE`; `-` or nothing: standard input): one
//!   output line per input line, in input order: `{"account","actor","recreation_of":[…],
//!   "evidence":[{"signal","value","with"}…]}`, or `{"line":N,"error":"…"}` for a malformed line
//!   (the rest go on). Actor ids are integers 1, 2, 3, … in order of creation; on a merge the
//!   older (smaller) id survives. Identifiers ignored as hubs are listed on stderr (and in
//!   `--hubs FILE` as JSONL).
//! - `ronda link generate`: a seeded synthetic scenario (accounts + truth).
//! - `ronda link eval`: B-cubed precision/recall of actors and precision/recall of
//!   re-creation flags of a `ronda link` output against a truth file.
//!
//! Features are computed in parallel (rayon) per chunk of lines; then the whole batch is linked
//! at once by [`ronda_link::batch`] (counts over the whole input, candidate pairs from sorted
//! postings, decisions in parallel, actors in input order) on the same thread pool.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;
use ronda_link::eval::{bcubed, flags, true_recreations};
use ronda_link::lsh::{LshIndex, band_keys};
use ronda_link::scenario::{ScenarioConfig, generate};
use ronda_link::{FeatureExtractor, Features, LinkConfig, Status, Step, link_batch_with};
use ronda_media::PdqHash;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::scan::{open_input, read_chunk, with_pool};

/// Arguments of `ronda link`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<LinkCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum LinkCommand {
    /// Link accounts (JSONL) into actors (the same as `ronda link FILE`).
    Run(RunArgs),
    /// Write a seeded synthetic scenario: accounts and the true actors.
    Generate(GenerateArgs),
    /// Score a `ronda link` output against a truth file.
    Eval(EvalArgs),
    /// Time the MinHash + LSH stage alone (for bench/link).
    #[command(hide = true)]
    BenchMinhash(BenchArgs),
}

/// Thresholds shared by the subcommands that link.
#[derive(Debug, Clone, clap::Args)]
pub struct Thresholds {
    /// Jaccard threshold of near-duplicate text (non-generic word shingles).
    #[arg(long, value_name = "X")]
    pub jaccard: Option<f64>,
    /// An identifier held by more than N accounts is a hub: ignored and reported.
    #[arg(long, value_name = "N")]
    pub hub_max: Option<u32>,
    /// A shingle, name or avatar held by more than max(K, share × accounts) accounts is
    /// generic (never evidence); candidate buckets of more than K accounts are not searched.
    #[arg(long, value_name = "K")]
    pub generic_max: Option<u32>,
    /// How the generic limit grows with the number of accounts (0: K is absolute).
    #[arg(long, value_name = "SHARE")]
    pub generic_share: Option<f64>,
    /// PDQ Hamming radius of near-duplicate avatars.
    #[arg(long, value_name = "D")]
    pub pdq_radius: Option<u32>,
    /// Display-name similarity threshold (overlap of letter trigrams).
    #[arg(long, value_name = "X")]
    pub name_similarity: Option<f64>,
    /// MinHash permutations.
    #[arg(long, value_name = "N")]
    pub num_perm: Option<usize>,
    /// Words per text shingle.
    #[arg(long, value_name = "N")]
    pub shingle_words: Option<usize>,
}

impl Thresholds {
    fn config(&self) -> anyhow::Result<LinkConfig> {
        let d = LinkConfig::default();
        let cfg = LinkConfig {
            jaccard: self.jaccard.unwrap_or(d.jaccard),
            hub_max: self.hub_max.unwrap_or(d.hub_max),
            generic_max: self.generic_max.unwrap_or(d.generic_max),
            generic_share: self.generic_share.unwrap_or(d.generic_share),
            pdq_radius: self.pdq_radius.unwrap_or(d.pdq_radius),
            name_similarity: self.name_similarity.unwrap_or(d.name_similarity),
            num_perm: self.num_perm.unwrap_or(d.num_perm),
            shingle_words: self.shingle_words.unwrap_or(d.shingle_words),
            ..d
        };
        cfg.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(cfg)
    }
}

/// Arguments of `ronda link run` / `ronda link FILE`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Accounts, JSONL (`-` or absent: standard input). Each line: {"account", "platform",
    /// "handle", "display_name", "bio", "posts": […], "avatar_pdq": "<64 hex>"|null,
    /// "status": "active"|"taken_down"}.
    pub input: Option<PathBuf>,
    /// Write the output here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write the hubs (ignored identifiers) here as JSONL.
    #[arg(long, value_name = "FILE")]
    pub hubs: Option<PathBuf>,
    /// Worker threads for feature extraction (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub thresholds: Thresholds,
}

/// Arguments of `ronda link generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Approximate number of accounts.
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub accounts: usize,
    /// Random seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Accounts file (JSONL), the input of `ronda link`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Truth file (JSONL: {"account","actor","status"}).
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Share of accounts in multi-account actors.
    #[arg(long, value_name = "X")]
    pub offender_share: Option<f64>,
    /// Largest number of accounts per actor.
    #[arg(long, value_name = "N")]
    pub max_actor_size: Option<usize>,
    /// Probability per word of an edit when an ad is reused.
    #[arg(long, value_name = "X")]
    pub edit_rate: Option<f64>,
}

/// Arguments of `ronda link eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Truth JSONL: {"account","actor","status"}.
    #[arg(long, value_name = "FILE")]
    pub truth: PathBuf,
    /// The output of `ronda link`.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Fail (exit 1) when any of the four figures is below X.
    #[arg(long, value_name = "X")]
    pub min: Option<f64>,
    /// Print the figures as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `ronda link bench-minhash`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Accounts JSONL (the text is bio + posts).
    pub input: PathBuf,
    /// Shingling: `simple` (lower-case, split on non-alphanumerics, like the Python side) or
    /// `full` (the linker's fold + normalise).
    #[arg(long, default_value = "simple")]
    pub tokens: String,
    /// LSH threshold (default: the linker's Jaccard threshold).
    #[arg(long, default_value_t = 0.3)]
    pub threshold: f64,
    /// MinHash permutations.
    #[arg(long, default_value_t = 128)]
    pub num_perm: usize,
    /// Timed repetitions (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        None => run_link(args.run),
        Some(LinkCommand::Run(a)) => run_link(a),
        Some(LinkCommand::Generate(a)) => run_generate(a),
        Some(LinkCommand::Eval(a)) => run_eval(a),
        Some(LinkCommand::BenchMinhash(a)) => run_bench(a),
    }
}

#[derive(Deserialize)]
struct InAccount {
    account: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    bio: Option<String>,
    #[serde(default)]
    posts: Option<Vec<String>>,
    #[serde(default)]
    avatar_pdq: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

struct Parsed {
    account: String,
    status: Status,
    features: Features,
}

fn parse_account(raw: &[u8], fx: &FeatureExtractor) -> Result<Parsed, String> {
    let a: InAccount = serde_json::from_slice(raw).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("not an account: {e}"),
        _ => format!("invalid JSON: {e}"),
    })?;
    if a.account.trim().is_empty() {
        return Err("`account` is empty".into());
    }
    let status = match a.status.as_deref() {
        None => Status::Active,
        Some(s) => Status::parse(s)
            .ok_or_else(|| format!("`status` must be \"active\" or \"taken_down\", not {s:?}"))?,
    };
    let avatar = match a.avatar_pdq.as_deref() {
        None | Some("") => None,
        Some(h) => {
            Some(PdqHash::from_hex(h).map_err(|e| format!("`avatar_pdq` is not a PDQ hash: {e}"))?)
        }
    };
    let features = fx.features(
        a.display_name.as_deref().unwrap_or(""),
        a.bio.as_deref().unwrap_or(""),
        a.posts.as_deref().unwrap_or(&[]),
        avatar,
    );
    Ok(Parsed {
        account: a.account,
        status,
        features,
    })
}

fn spinner(what: &str) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} {what} {{human_pos}} accounts  {{per_sec}}  {{elapsed}}"
    )) {
        pb.set_style(style);
    }
    Some(pb)
}

fn stage_spinner(what: &str) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} {what}: {{msg}}  {{elapsed}}"
    )) {
        pb.set_style(style);
    }
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(pb)
}

#[derive(Serialize)]
struct OutEvidence<'a> {
    signal: &'static str,
    value: &'a str,
    with: &'a str,
}

#[derive(Serialize)]
struct OutLine<'a> {
    account: &'a str,
    actor: u64,
    recreation_of: Vec<&'a str>,
    evidence: Vec<OutEvidence<'a>>,
}

fn error_line(line: u64, msg: &str) -> String {
    serde_json::to_string(&json!({"line": line, "error": msg}))
        .unwrap_or_else(|_| format!("{{\"line\":{line}}}"))
}

fn create_out(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        None => Box::new(BufWriter::with_capacity(1 << 20, io::stdout())),
        Some(p) if p.as_os_str() == "-" => {
            Box::new(BufWriter::with_capacity(1 << 20, io::stdout()))
        }
        Some(p) => Box::new(BufWriter::with_capacity(
            1 << 20,
            File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
    })
}

fn run_link(args: RunArgs) -> anyhow::Result<ExitCode> {
    let cfg = args.thresholds.config()?;
    // The batch linker takes signatures over the shingles that are not generic.
    let fx = FeatureExtractor::new(&cfg).without_signatures();
    let mut input = open_input(args.input.as_deref())?;
    let started = Instant::now();

    // 1. Parse and compute features in parallel, chunk by chunk.
    let mut entries: Vec<Result<u32, String>> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut parsed: Vec<(Status, Features)> = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let pb = spinner("reading");
    with_pool(args.threads, || -> anyhow::Result<()> {
        const CHUNK: usize = 8192;
        let mut lines = Vec::with_capacity(CHUNK);
        loop {
            let more = read_chunk(&mut *input, &mut lines, CHUNK).context("reading input")?;
            let results: Vec<Result<Parsed, String>> = lines
                .par_iter()
                .map(|raw| parse_account(raw, &fx))
                .collect();
            for r in results {
                let line_no = entries.len() as u64 + 1;
                match r {
                    Ok(p) => {
                        if let Some(first) = first_line.get(&p.account) {
                            entries.push(Err(format!(
                                "duplicate account {:?} (first on line {first})",
                                p.account
                            )));
                            continue;
                        }
                        first_line.insert(p.account.clone(), line_no);
                        entries.push(Ok(names.len() as u32));
                        names.push(p.account);
                        parsed.push((p.status, p.features));
                    }
                    Err(e) => entries.push(Err(e)),
                }
            }
            if let Some(pb) = &pb {
                pb.inc(lines.len() as u64);
            }
            if !more {
                return Ok(());
            }
        }
    })??;
    drop(first_line);
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let read_s = started.elapsed().as_secs_f64();

    // 2. Link the whole batch (counts over everything first, so the result does not depend
    //    on input order), on the same pool.
    let pb = stage_spinner("linking");
    if let Some(pb) = &pb {
        pb.set_message("counting");
    }
    let link_started = Instant::now();
    let mut steps: Vec<String> = Vec::new();
    let mut last = Instant::now();
    let linker = with_pool(args.threads, || {
        link_batch_with(&cfg, parsed, &mut |step| {
            let now = Instant::now();
            let (done, next) = match step {
                Step::Commonness => ("commonness".to_string(), "candidate pairs"),
                Step::Candidates { pairs } => (format!("{pairs} candidate pairs"), "deciding"),
                Step::Decisions { links } => (format!("{links} links"), "actors"),
                Step::Actors => ("actors".to_string(), "writing"),
            };
            steps.push(format!("{done} {:.1} s", (now - last).as_secs_f64()));
            last = now;
            if let Some(pb) = &pb {
                pb.set_message(next);
            }
        })
    })?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let link_s = link_started.elapsed().as_secs_f64();

    // 3. Output in input order.
    let mut out = create_out(args.out.as_deref())?;
    for (i, e) in entries.iter().enumerate() {
        let line = match e {
            Err(msg) => error_line(i as u64 + 1, msg),
            Ok(idx) => {
                let idx = *idx;
                let recreation_of = linker
                    .recreation_of(idx)
                    .into_iter()
                    .map(|a| names[a as usize].as_str())
                    .collect();
                let evidence = linker
                    .evidence(idx)
                    .flat_map(|(other, ev)| {
                        let with = names[other as usize].as_str();
                        ev.iter().map(move |e| OutEvidence {
                            signal: e.signal.as_str(),
                            value: &e.value,
                            with,
                        })
                    })
                    .collect();
                let o = OutLine {
                    account: &names[idx as usize],
                    actor: linker.actor(idx).unwrap_or(0),
                    recreation_of,
                    evidence,
                };
                serde_json::to_string(&o)
                    .unwrap_or_else(|e| error_line(i as u64 + 1, &e.to_string()))
            }
        };
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;

    let hubs = linker.hubs();
    if let Some(p) = &args.hubs {
        let mut w = create_out(Some(p))?;
        for h in hubs {
            let line =
                json!({"signal": h.signal.as_str(), "value": h.value, "accounts": h.accounts});
            writeln!(w, "{line}")?;
        }
        w.flush()?;
    }
    let errors = entries.iter().filter(|e| e.is_err()).count();
    let flagged = (0..names.len() as u32)
        .filter(|&i| !linker.recreation_of(i).is_empty())
        .count();
    eprintln!(
        "linked {} accounts ({} bad lines): {} links, {} merges, {} re-created accounts flagged, {} hubs ignored; features {:.1} s, linking {:.1} s ({})",
        names.len(),
        errors,
        linker.link_count(),
        linker.merges().len(),
        flagged,
        hubs.len(),
        read_s,
        link_s,
        steps.join(", ")
    );
    for h in hubs.iter().take(10) {
        eprintln!(
            "hub ignored: {} {} ({} accounts)",
            h.signal.as_str(),
            h.value,
            h.accounts
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn run_generate(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let d = ScenarioConfig::default();
    let cfg = ScenarioConfig {
        accounts: args.accounts,
        seed: args.seed,
        offender_share: args.offender_share.unwrap_or(d.offender_share),
        actor_size: (
            d.actor_size.0,
            args.max_actor_size.unwrap_or(d.actor_size.1),
        ),
        edit_rate: args.edit_rate.unwrap_or(d.edit_rate),
        ..d
    };
    let accounts = generate(&cfg);
    let mut out = create_out(Some(&args.out))?;
    for a in &accounts {
        let line = json!({
            "account": a.account,
            "platform": a.platform,
            "handle": a.handle,
            "display_name": a.display_name,
            "bio": a.bio,
            "posts": a.posts,
            "avatar_pdq": a.avatar.map(|h| h.to_hex()),
            "status": a.status.as_str(),
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    if let Some(t) = &args.truth {
        let mut w = create_out(Some(t))?;
        for a in &accounts {
            let line = json!({"account": a.account, "actor": a.actor, "status": a.status.as_str()});
            writeln!(w, "{line}")?;
        }
        w.flush()?;
    }
    eprintln!("wrote {} accounts", accounts.len());
    Ok(ExitCode::SUCCESS)
}

fn read_jsonl(path: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .with_context(|| format!("{} line {}: invalid JSON", path.display(), i + 1))?,
        );
    }
    Ok(out)
}

fn run_eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let truth = read_jsonl(&args.truth)?;
    let output = read_jsonl(&args.output)?;
    let mut predicted: HashMap<String, (String, bool)> = HashMap::new();
    for o in &output {
        let (Some(acc), Some(actor)) = (o["account"].as_str(), o.get("actor")) else {
            continue; // error lines
        };
        let flagged = o["recreation_of"].as_array().is_some_and(|v| !v.is_empty());
        predicted.insert(acc.to_string(), (actor.to_string(), flagged));
    }
    let mut t_actor = Vec::new();
    let mut t_status = Vec::new();
    let mut p_actor = Vec::new();
    let mut p_flag = Vec::new();
    let mut missing = 0usize;
    for (i, t) in truth.iter().enumerate() {
        let (Some(acc), Some(actor)) = (t["account"].as_str(), t.get("actor")) else {
            anyhow::bail!("truth line {}: needs \"account\" and \"actor\"", i + 1);
        };
        let status = match t["status"].as_str() {
            Some(s) => Status::parse(s)
                .with_context(|| format!("truth line {}: bad status {s:?}", i + 1))?,
            None => Status::Active,
        };
        let (pa, pf) = match predicted.get(acc) {
            Some((a, f)) => (a.clone(), *f),
            None => {
                // Unlinked: a singleton of its own, not flagged.
                missing += 1;
                (format!("missing:{acc}"), false)
            }
        };
        t_actor.push(actor.to_string());
        t_status.push(status);
        p_actor.push(pa);
        p_flag.push(pf);
    }
    let truth_refs: Vec<&str> = t_actor.iter().map(String::as_str).collect();
    let actors = bcubed(&p_actor, &t_actor);
    let rec = flags(&p_flag, &true_recreations(&truth_refs, &t_status));
    let figures = [actors.precision, actors.recall, rec.precision, rec.recall];
    if args.json {
        println!(
            "{}",
            json!({
                "accounts": truth.len(),
                "missing": missing,
                "actors": {"precision": actors.precision, "recall": actors.recall, "f1": actors.f1()},
                "recreation": {"precision": rec.precision, "recall": rec.recall, "f1": rec.f1()},
            })
        );
    } else {
        println!("accounts: {} (missing from output: {missing})", truth.len());
        println!(
            "actors (B-cubed): precision {:.4}  recall {:.4}  F1 {:.4}",
            actors.precision,
            actors.recall,
            actors.f1()
        );
        println!(
            "re-creation flags: precision {:.4}  recall {:.4}  F1 {:.4}",
            rec.precision,
            rec.recall,
            rec.f1()
        );
    }
    if let Some(min) = args.min
        && figures.iter().any(|&f| f < min)
    {
        eprintln!("below --min {min}");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The Python side's tokenisation: lower-case, runs of alphanumerics.
fn simple_shingles(text: &str, words: usize, out: &mut Vec<u64>) {
    let lower = text.to_lowercase();
    let toks: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    if toks.is_empty() {
        return;
    }
    for w in toks.windows(words.min(toks.len())) {
        out.push(ronda_link::hash::hash_bytes(7, w.join(" ").as_bytes()));
    }
}

fn run_bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let cfg = LinkConfig {
        jaccard: args.threshold,
        num_perm: args.num_perm,
        ..LinkConfig::default()
    };
    cfg.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let fx = FeatureExtractor::new(&cfg);
    let (bands, rows) = cfg.bands_rows();
    let mut texts = Vec::new();
    for v in read_jsonl(&args.input)? {
        let mut t = v["bio"].as_str().unwrap_or("").to_string();
        for p in v["posts"].as_array().into_iter().flatten() {
            t.push('\n');
            t.push_str(p.as_str().unwrap_or(""));
        }
        texts.push(t);
    }
    let full = args.tokens == "full";
    let mut times = Vec::new();
    let mut candidates = 0usize;
    for _ in 0..args.runs.max(1) {
        let t0 = Instant::now();
        let mut index = LshIndex::new();
        let mut all_keys = Vec::with_capacity(texts.len());
        let mut sh = Vec::new();
        let mut toks = Vec::new();
        let mut sig = vec![0u32; cfg.num_perm];
        for (i, t) in texts.iter().enumerate() {
            sh.clear();
            if full {
                for piece in t.split('\n') {
                    let n = ronda_detect::normalize::normalize(piece);
                    fx.shingle(n.as_str(), &mut toks, &mut sh);
                }
            } else {
                for piece in t.split('\n') {
                    simple_shingles(piece, cfg.shingle_words, &mut sh);
                }
            }
            sh.sort_unstable();
            sh.dedup();
            fx.minhasher().signature_into(&sh, &mut sig);
            let keys = band_keys(&sig, bands, rows);
            index.insert(i as u32, &keys);
            all_keys.push(keys);
        }
        let mut out = Vec::new();
        candidates = 0;
        for keys in &all_keys {
            index.query(keys, &mut out);
            candidates += out.len();
        }
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{}",
        json!({
            "n": texts.len(), "num_perm": cfg.num_perm, "threshold": cfg.jaccard,
            "bands": bands, "rows": rows, "tokens": args.tokens,
            "median_s": median, "runs_s": times, "candidates": candidates,
        })
    );
    Ok(ExitCode::SUCCESS)
}
