//! `ronda scan`: JSONL posts in, one JSONL analysis per input line out, in input order.
//!
//! Lines are read in chunks and analysed in parallel (rayon, every core unless `--threads`),
//! then written in their original order. A line that is not JSON or lacks `text` yields
//! `{"line":N,"error":"…"}` in its place; only an unreadable input fails the command. A progress
//! spinner with posts/s is drawn on stderr when it is a terminal.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use rayon::prelude::*;
use ronda_detect::{Analysis, Engine, Model, PolicyConfig, Reading, RuleSet};
use serde::{Deserialize, Serialize};

/// Arguments of this subcommand.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input JSONL file (`-` or absent: standard input). Each line: {"id": …, "text": "…"}.
    pub input: Option<PathBuf>,
    /// Rule file (TOML) instead of the built-in rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Model file instead of the built-in model.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Add the N features that contributed most to the top category.
    #[arg(long, value_name = "N")]
    pub explain: Option<usize>,
    /// Read each text as a complaint (a public or police report about someone else's
    /// content), as the service reads those reports.
    #[arg(long)]
    pub complaint: bool,
}

/// Builds the engine from the built-in assets or the given files.
pub(crate) fn load_engine(rules: Option<&Path>, model: Option<&Path>) -> anyhow::Result<Engine> {
    let rules = match rules {
        Some(p) => {
            let src = std::fs::read_to_string(p)
                .with_context(|| format!("reading rule file {}", p.display()))?;
            RuleSet::from_toml(&src)
                .with_context(|| format!("loading rule file {}", p.display()))?
        }
        None => RuleSet::default_rules().context("loading the built-in rules")?,
    };
    let model = match model {
        Some(p) => {
            let bytes =
                std::fs::read(p).with_context(|| format!("reading model file {}", p.display()))?;
            Model::from_bytes(&bytes)
                .with_context(|| format!("loading model file {}", p.display()))?
        }
        None => Model::from_bytes(ronda_detect::engine::DEFAULT_MODEL)
            .context("loading the built-in model")?,
    };
    Ok(Engine::new(rules, model, PolicyConfig::default()))
}

/// Opens a file or standard input (`-` / absent).
pub(crate) fn open_input(path: Option<&Path>) -> anyhow::Result<Box<dyn BufRead + Send>> {
    match path {
        None => Ok(Box::new(BufReader::with_capacity(1 << 20, io::stdin()))),
        Some(p) if p.as_os_str() == "-" => {
            Ok(Box::new(BufReader::with_capacity(1 << 20, io::stdin())))
        }
        Some(p) => {
            let f = File::open(p).with_context(|| format!("opening {}", p.display()))?;
            Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
        }
    }
}

/// Reads up to `max` lines (without their line ends) into `buf`; false at end of input.
pub(crate) fn read_chunk(
    r: &mut dyn BufRead,
    buf: &mut Vec<Vec<u8>>,
    max: usize,
) -> io::Result<bool> {
    buf.clear();
    while buf.len() < max {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(false);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        buf.push(line);
    }
    Ok(true)
}

#[derive(Deserialize)]
struct Post<'a> {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct Scores {
    prostitution: f32,
    pornography: f32,
    gambling: f32,
}

#[derive(Serialize)]
struct Ident<'a> {
    kind: &'static str,
    value: &'a str,
}

/// Where a rule fired or an identifier was found: a byte range of the post's text as given
/// (UTF-8, end exclusive), for highlighting.
#[derive(Serialize)]
struct SpanOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<&'static str>,
    start: usize,
    end: usize,
}

#[derive(Serialize)]
struct Out<'a> {
    id: &'a serde_json::Value,
    verdict: &'static str,
    category: Option<&'static str>,
    score: f32,
    scores: Scores,
    priority: &'static str,
    rules: Vec<&'a str>,
    identifiers: Vec<Ident<'a>>,
    ages: &'a [u8],
    /// A stated age under 18 or a mention of a minor.
    minor: bool,
    /// A sexual or solicitation signal.
    sexual: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    spans: Vec<SpanOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<Vec<(String, f32)>>,
}

#[derive(Serialize)]
struct LineError<'a> {
    line: u64,
    error: &'a str,
}

fn round(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

/// Serialises one analysis as a JSON line (without the newline).
fn render(id: &serde_json::Value, a: &Analysis, explain: Option<Vec<(String, f32)>>) -> String {
    let out = Out {
        id,
        verdict: a.verdict.as_str(),
        category: a.category.map(|c| c.as_str()),
        score: round(a.score),
        scores: Scores {
            prostitution: round(a.scores[0]),
            pornography: round(a.scores[1]),
            gambling: round(a.scores[2]),
        },
        priority: a.priority.as_str(),
        rules: a.rules.iter().map(|r| r.id.as_str()).collect(),
        identifiers: a
            .identifiers
            .iter()
            .map(|i| Ident {
                kind: i.kind.as_str(),
                value: &i.value,
            })
            .collect(),
        ages: &a.ages,
        minor: a.minor,
        sexual: a.sexual,
        spans: a
            .rules
            .iter()
            .map(|r| SpanOut {
                rule: Some(&r.id),
                identifier: None,
                start: r.span.start,
                end: r.span.end,
            })
            .chain(
                a.identifiers
                    .iter()
                    .filter(|i| i.span.end > i.span.start)
                    .map(|i| SpanOut {
                        rule: None,
                        identifier: Some(i.kind.as_str()),
                        start: i.span.start,
                        end: i.span.end,
                    }),
            )
            .collect(),
        explain,
    };
    serde_json::to_string(&out).unwrap_or_else(|e| error_line(0, &format!("cannot serialise: {e}")))
}

fn error_line(line: u64, msg: &str) -> String {
    serde_json::to_string(&LineError { line, error: msg })
        .unwrap_or_else(|_| format!("{{\"line\":{line}}}"))
}

/// Parses one input line: the post id and text, or an error message.
pub(crate) fn parse_post(raw: &[u8]) -> Result<(serde_json::Value, Cow<'_, str>), String> {
    let post: Post<'_> = serde_json::from_slice(raw).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("not a post (`text` must be a string): {e}"),
        _ => format!("invalid JSON: {e}"),
    })?;
    let text = post
        .text
        .ok_or_else(|| "missing string field `text`".to_string())?;
    Ok((post.id.unwrap_or(serde_json::Value::Null), text))
}

fn process(
    engine: &Engine,
    line_no: u64,
    raw: &[u8],
    explain: Option<usize>,
    reading: Reading,
) -> String {
    match parse_post(raw) {
        Ok((id, text)) => {
            let a = engine.analyze_as(&text, reading);
            let ex = explain.map(|k| engine.explain(&text, k));
            render(&id, &a, ex)
        }
        Err(e) => error_line(line_no, &e),
    }
}

/// Runs `f` inside a pool of `threads` workers (all cores when `None`).
pub(crate) fn with_pool<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> anyhow::Result<T> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        b = b.num_threads(n);
    }
    let pool = b.build().context("starting worker threads")?;
    Ok(pool.install(f))
}

fn progress() -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {human_pos} posts  {per_sec}  {elapsed}")
    {
        pb.set_style(style);
    }
    Some(pb)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let engine = load_engine(args.rules.as_deref(), args.model.as_deref())?;
    let mut input = open_input(args.input.as_deref())?;
    let explain = args.explain;
    let reading = if args.complaint {
        Reading::Complaint
    } else {
        Reading::Post
    };
    let pb = progress();
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout());
    with_pool(args.threads, || -> anyhow::Result<()> {
        const CHUNK: usize = 8192;
        let mut lines = Vec::with_capacity(CHUNK);
        let mut line_no: u64 = 0;
        loop {
            let more = read_chunk(&mut *input, &mut lines, CHUNK).context("reading input")?;
            let first = line_no + 1;
            let rendered: Vec<String> = lines
                .par_iter()
                .enumerate()
                .map(|(k, raw)| process(&engine, first + k as u64, raw, explain, reading))
                .collect();
            line_no += lines.len() as u64;
            for r in &rendered {
                out.write_all(r.as_bytes())?;
                out.write_all(b"\n")?;
            }
            if let Some(pb) = &pb {
                pb.inc(lines.len() as u64);
            }
            if !more {
                break;
            }
        }
        out.flush()?;
        Ok(())
    })??;
    if let Some(pb) = pb {
        pb.finish();
    }
    Ok(ExitCode::SUCCESS)
}
