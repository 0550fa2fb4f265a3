//! `ronda notices list|show`: takedown notices for operators.

use std::process::ExitCode;

use ronda_core::clock::to_rfc3339;
use ronda_core::wib::to_jakarta;
use ronda_store::notices::NoticeView;

use super::store_args::StoreArgs;

/// Inspect takedown notices.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: NoticesCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Subcommand)]
enum NoticesCommand {
    /// List notices, newest first.
    List {
        #[arg(long)]
        platform: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show one notice.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn as_json(n: &NoticeView) -> serde_json::Value {
    serde_json::json!({
        "id": n.id, "case_id": n.case_id, "platform": n.platform, "status": n.status,
        "category": n.category, "legal_basis": n.legal_basis, "urgent": n.urgent,
        "target": {n.target_kind.clone(): n.target_value}, "created_at": to_rfc3339(n.created_at),
        "deadline": to_rfc3339(n.deadline), "escalation_step": n.escalation_step,
        "response": n.response_action, "closed_at": n.closed_at.map(to_rfc3339),
    })
}

fn print(list: &[NoticeView], format: Format) {
    match format {
        Format::Json => {
            for n in list {
                println!("{}", as_json(n));
            }
        }
        Format::Table => {
            println!(
                "{:>6} {:>6}  {:<10} {:<16} {:<20} {:<21} {:<20} TARGET",
                "ID", "CASE", "PLATFORM", "STATUS", "CATEGORY", "DEADLINE (WIB)", "ESCALATION"
            );
            for n in list {
                println!(
                    "{:>6} {:>6}  {:<10} {:<16} {:<20} {:<21} {:<20} {}",
                    n.id,
                    n.case_id,
                    n.platform,
                    n.status,
                    n.category,
                    to_jakarta(n.deadline),
                    n.escalation_step,
                    n.target_value
                );
            }
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        NoticesCommand::List {
            platform,
            status,
            limit,
            format,
            store,
        } => {
            let (_, store) = store.open()?;
            let list = store.notices(platform.as_deref(), status.as_deref(), limit);
            store.close();
            print(&list?, format);
        }
        NoticesCommand::Show { id, format, store } => {
            let (_, store) = store.open()?;
            let n = store.notice(id);
            store.close();
            match n? {
                Some(n) => print(&[n], format),
                None => {
                    eprintln!("no notice {id}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
