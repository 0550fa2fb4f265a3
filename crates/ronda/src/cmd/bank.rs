//! `ronda bank import|export|list`: hash banks, managed directly in the store.
//!
//! `import` creates the bank when it is missing (then `--category` is required), adds the
//! list's hashes (duplicates are counted, not added) and re-matches stored media against the
//! new hashes, like `POST /api/v1/banks/{name}/hashes`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use ronda_core::clock::to_rfc3339;
use ronda_media::bank::{BankCategory, HashList};
use ronda_store::banks::{BankPatch, NewBank};

use super::store_args::{StoreArgs, cli_actor};

/// Manage hash banks.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: BankCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BankCommand {
    /// Add a hash list (`pdq[,quality][,label]` lines; `-` reads stdin) to a bank, creating it
    /// when missing.
    Import {
        name: String,
        file: PathBuf,
        /// Category of a new bank: child_exploitation (alias child_abuse_known), ncii, solicitation_photos, allowlist, …
        #[arg(long)]
        category: Option<String>,
        /// Hamming distance threshold (default 31); also changes an existing bank.
        #[arg(long)]
        threshold: Option<u32>,
        /// Minimum query quality (default 50); also changes an existing bank.
        #[arg(long)]
        min_quality: Option<u8>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print a bank as `pdq,quality,label` lines (with a header) to stdout.
    Export {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List banks.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn read_list(file: &PathBuf) -> anyhow::Result<HashList> {
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading stdin")?;
    } else {
        text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    }
    HashList::parse(&text).with_context(|| format!("{}", file.display()))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        BankCommand::Import {
            name,
            file,
            category,
            threshold,
            min_quality,
            store,
        } => {
            let category: Option<BankCategory> = category
                .as_deref()
                .map(str::parse)
                .transpose()
                .context("--category")?;
            let list = read_list(&file)?;
            let (_, store) = store.open()?;
            let result = (|| -> anyhow::Result<_> {
                let actor = cli_actor();
                let existing = store.get_bank(&name)?;
                let create = match (&existing, category) {
                    (Some(bank), Some(c)) if bank.category != c => bail!(
                        "bank `{name}` exists with category {}, not {c}",
                        bank.category
                    ),
                    (Some(_), _) => None,
                    (None, Some(category)) => Some(NewBank {
                        name: name.clone(),
                        category,
                        enabled: None,
                        threshold,
                        min_quality,
                    }),
                    (None, None) => {
                        bail!("bank `{name}` does not exist; give --category to create it")
                    }
                };
                if existing.is_some() && (threshold.is_some() || min_quality.is_some()) {
                    store.update_bank_blocking(
                        &actor,
                        &name,
                        BankPatch {
                            enabled: None,
                            threshold,
                            min_quality,
                        },
                    )?;
                }
                Ok(store.import_hashes_blocking(&actor, &name, create, list)?)
            })();
            store.close();
            let out = result?;
            println!(
                "bank {}: {} added, {} duplicates, {} retroactive matches ({} cases updated, {} opened){}",
                out.bank.name,
                out.added,
                out.duplicates,
                out.retro_matches,
                out.cases_updated.len(),
                out.cases_opened.len(),
                if out.created { "; bank created" } else { "" }
            );
        }
        BankCommand::Export { name, store } => {
            let (_, store) = store.open()?;
            let found = store.export_bank(&name);
            store.close();
            let Some((_, list)) = found? else {
                bail!("no bank named `{name}`");
            };
            let mut out = std::io::stdout().lock();
            out.write_all(list.to_csv().as_bytes())?;
            out.flush()?;
        }
        BankCommand::List { store } => {
            let (_, store) = store.open()?;
            let banks = store.list_banks();
            store.close();
            println!(
                "{:<24} {:<20} {:<8} {:>9} {:>11} {:>10}  UPDATED",
                "NAME", "CATEGORY", "ENABLED", "THRESHOLD", "MIN_QUALITY", "HASHES"
            );
            for b in banks? {
                println!(
                    "{:<24} {:<20} {:<8} {:>9} {:>11} {:>10}  {}",
                    b.name,
                    b.category.as_str(),
                    if b.enabled { "yes" } else { "no" },
                    b.threshold,
                    b.min_quality,
                    b.hash_count,
                    to_rfc3339(b.updated_at)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
