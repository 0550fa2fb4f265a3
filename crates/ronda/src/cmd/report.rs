//! `ronda report transparency`: a public report for a window — one self-contained HTML page
//! (inline CSS, inline SVG charts; no script, no external reference) and CSV files of the same
//! figures. Only aggregates leave: counts per month, category and platform, and removal times
//! per platform. No handle, URL, phone number, reporter or case id is read, let alone written.
//! Labels are in Indonesian and English. The page and the CSV files are rendered by
//! [`ronda_server::report`], which the console shares; this command only queries and writes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use ronda_core::wib::parse_date;
use ronda_server::report::{ReportData, render_csv, render_html, summary_csv};
use ronda_store::stats::{GroupBy, StatsQuery, resolve_window};

use super::store_args::StoreArgs;

/// Public reports.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ReportCommand {
    /// Transparency report: index.html plus summary.csv, by_month.csv, by_category.csv,
    /// by_platform.csv in --out.
    Transparency {
        /// First day, YYYY-MM-DD (Asia/Jakarta).
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD (Asia/Jakarta), inclusive.
        #[arg(long)]
        to: String,
        /// Directory to write into (created when missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ReportCommand::Transparency {
        from,
        to,
        out,
        store,
    } = args.command;
    // Dates are required here and checked before the store is opened.
    for (opt, v) in [("--from", &from), ("--to", &to)] {
        if parse_date(v).is_none() {
            anyhow::bail!("{opt}: `{v}` is not a date; use YYYY-MM-DD (1970 or later)");
        }
    }
    let (_, store) = store.open()?;
    let now = store.now_ms();
    let data = (|| -> anyhow::Result<ReportData> {
        let (from_day, to_day) = resolve_window(Some(&from), Some(&to), now)
            .map_err(|e| anyhow::anyhow!("--{}: {}", e.field, e.message))?;
        let q = |g| StatsQuery {
            from_day,
            to_day,
            now_ms: now,
            group_by: Some(g),
        };
        Ok(ReportData {
            by_month: store.stats(&q(GroupBy::Month))?,
            by_category: store.stats(&q(GroupBy::Category))?,
            by_platform: store.stats(&q(GroupBy::Platform))?,
        })
    })();
    store.close();
    let data = data?;
    let files = write_report(&out, &data)?;
    for f in files {
        println!("{}", f.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the page and the CSV files; returns their paths.
pub fn write_report(dir: &Path, data: &ReportData) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = [
        ("index.html", render_html(data)),
        ("summary.csv", summary_csv(&data.by_month)),
        ("by_month.csv", render_csv(&data.by_month)),
        ("by_category.csv", render_csv(&data.by_category)),
        ("by_platform.csv", render_csv(&data.by_platform)),
    ];
    let mut written = Vec::new();
    for (name, body) in files {
        let path = dir.join(name);
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
