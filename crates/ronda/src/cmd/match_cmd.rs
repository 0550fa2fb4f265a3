//! `ronda match` — match PDQ hashes against a bank file within a Hamming radius.
//!
//! The bank file is a hash list (`pdq[,quality][,label]` a line; header and `#` comments
//! allowed). Each query line is a 64-digit hash, optionally followed by `,anything`; it yields
//! one line `query,match,distance[,label]` per bank hash within the radius, nearest first, and
//! nothing when none is. A bad query line is reported on stderr with its line number, the rest
//! go on, and the exit code is 1 at the end. Queries run on all cores in batches; output keeps
//! input order.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;
use ronda_media::bank::HashList;
use ronda_media::index::SearchStrategy;
use ronda_media::{HashIndex, PdqHash};

/// Arguments of this subcommand.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Bank file: one hash a line, optionally `,quality` and/or `,label`.
    #[arg(long, value_name = "FILE")]
    pub bank: PathBuf,
    /// Largest Hamming distance reported (inclusive); 31 is the PDQ standard.
    #[arg(long, default_value_t = 31, value_parser = clap::value_parser!(u32).range(0..=256))]
    pub radius: u32,
    /// Print load time and index memory on stderr.
    #[arg(long)]
    pub stats: bool,
    /// Query file, one hash a line (optionally followed by `,anything`); `-` or none reads stdin.
    #[arg(value_name = "QUERIES")]
    pub queries: Option<PathBuf>,
}

/// Query lines answered in parallel before their output is written.
const BATCH: usize = 4096;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let text = std::fs::read_to_string(&args.bank)
        .with_context(|| format!("cannot read bank file {}", args.bank.display()))?;
    let mut bank =
        HashList::parse(&text).with_context(|| format!("bank file {}", args.bank.display()))?;
    drop(text);
    let parsed = started.elapsed();
    let index = HashIndex::from_hashes(std::mem::take(&mut bank.hashes))?;
    if args.stats {
        eprintln!(
            "ronda match: {} bank hashes parsed in {:.2}s, indexed in {:.2}s, index {:.1} MiB ({:.1} bytes/hash)",
            index.len(),
            parsed.as_secs_f64(),
            (started.elapsed() - parsed).as_secs_f64(),
            index.memory_bytes() as f64 / (1 << 20) as f64,
            index.memory_bytes() as f64 / index.len().max(1) as f64,
        );
    }

    let reader: Box<dyn BufRead> = match &args.queries {
        Some(path) if path.as_os_str() != "-" => Box::new(std::io::BufReader::new(
            std::fs::File::open(path)
                .with_context(|| format!("cannot open query file {}", path.display()))?,
        )),
        _ => Box::new(std::io::stdin().lock()),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut bad_lines = 0usize;
    let mut batch: Vec<(usize, String)> = Vec::with_capacity(BATCH);
    let mut lines = reader.lines().enumerate();
    let query_started = Instant::now();
    let mut queries = 0usize;
    loop {
        batch.clear();
        for (number, line) in lines.by_ref().take(BATCH) {
            batch.push((number + 1, line.context("reading queries")?));
        }
        if batch.is_empty() {
            break;
        }
        queries += batch.len();
        let answers: Vec<Result<String, String>> = batch
            .par_iter()
            .map_init(Vec::new, |scratch, (number, line)| {
                answer(&index, &bank, args.radius, line, scratch)
                    .map_err(|e| format!("line {number}: {e}"))
            })
            .collect();
        for answer in answers {
            match answer {
                Ok(lines) => out.write_all(lines.as_bytes())?,
                Err(error) => {
                    bad_lines += 1;
                    out.flush()?;
                    eprintln!("ronda match: {error}");
                }
            }
        }
    }
    out.flush()?;
    if args.stats {
        let seconds = query_started.elapsed().as_secs_f64();
        eprintln!(
            "ronda match: {queries} query lines in {seconds:.2}s ({:.0} lines/s)",
            queries as f64 / seconds.max(1e-9)
        );
    }
    if bad_lines > 0 {
        eprintln!("ronda match: {bad_lines} bad query lines");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The output lines for one query line (empty for blank lines, comments and no matches).
fn answer(
    index: &HashIndex,
    bank: &HashList,
    radius: u32,
    line: &str,
    scratch: &mut Vec<ronda_media::IndexMatch>,
) -> Result<String, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(String::new());
    }
    let hash_text = line.split(',').next().unwrap_or("").trim();
    let query = PdqHash::from_hex(hash_text).map_err(|e| e.to_string())?;
    index.search_into(&query, radius, SearchStrategy::Auto, scratch);
    let mut lines = String::new();
    for found in scratch.iter() {
        let matched = index.get(found.id).copied().unwrap_or_default();
        lines.push_str(&format!("{query},{matched},{}", found.distance));
        if let Some(label) = bank.label(found.id as usize) {
            lines.push(',');
            lines.push_str(label);
        }
        lines.push('\n');
    }
    Ok(lines)
}
