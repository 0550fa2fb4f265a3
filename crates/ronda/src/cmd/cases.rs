//! `ronda cases export`: the case list as CSV or JSON Lines, with the filters of
//! `GET /api/v1/cases` (the same format as `GET /api/v1/cases.csv`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use ronda_core::model::{CaseStatus, Category, Priority, Source};
use ronda_server::export::{Format, MAX_EXPORT_ROWS, case_search, export};
use ronda_store::cases::CaseFilter;

use super::store_args::{StoreArgs, cli_actor};

/// Case lists.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CasesCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FileFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, clap::Subcommand)]
enum CasesCommand {
    /// Write every case the filters select, newest first, to standard output (or --out).
    Export {
        #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
        format: FileFormat,
        #[arg(long)]
        status: Option<CaseStatus>,
        #[arg(long)]
        category: Option<Category>,
        #[arg(long)]
        platform: Option<String>,
        #[arg(long)]
        source: Option<Source>,
        #[arg(long)]
        priority: Option<Priority>,
        /// Search accounts, URLs, identifiers (a phone number in any form) and report text.
        #[arg(long)]
        q: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        CasesCommand::Export {
            format,
            status,
            category,
            platform,
            source,
            priority,
            q,
            out,
            store,
        } => {
            let search = match q.as_deref() {
                Some(text) => case_search(text).map_err(|e| anyhow::anyhow!("--q: {e}"))?,
                None => None,
            };
            let filter = CaseFilter {
                status,
                category,
                platform: platform.map(|p| p.to_ascii_lowercase()),
                source,
                priority,
                search,
                before_id: None,
                limit: 500,
            };
            let (_, store) = store.open()?;
            let format = match format {
                FileFormat::Csv => Format::Csv,
                FileFormat::Jsonl => Format::Jsonl,
            };
            let result = export(&store, &filter, format).and_then(|out| {
                let actor = cli_actor();
                let query = format!("{filter:?}");
                store.write_blocking(1, move |tx| {
                    tx.audit(&actor, "cases.exported", "cases", None, Some(&query))
                })?;
                Ok(out)
            });
            store.close();
            let (text, truncated) = result?;
            match &out {
                Some(path) => std::fs::write(path, text.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?,
                None => std::io::stdout()
                    .lock()
                    .write_all(text.as_bytes())
                    .context("writing to standard output")?,
            }
            if truncated {
                eprintln!(
                    "warning: the export stops at {MAX_EXPORT_ROWS} cases; narrow the filters for the rest"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
