//! `ronda watchlist add | list | show ID | disable ID | enable ID | ignore-robots ID |
//! obey-robots ID`: what the patrol looks at.
//! Changes are audited under `cli:<user>` (whoever can run the binary against the database is
//! its operator, so `--ignore-robots` is allowed here as it is to an admin in the API).

use std::process::ExitCode;

use ronda_core::clock::to_rfc3339;
use ronda_core::crawl::watchlist::{Scope, WatchListSpec, format_duration, parse_duration};

use super::store_args::{StoreArgs, cli_actor};

/// The patrol's watch lists: seeds, depth, scope, schedule.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: WatchlistCommand,
}

#[derive(Debug, clap::Subcommand)]
enum WatchlistCommand {
    /// Add a watch list; prints its id alone on the last line.
    Add {
        #[arg(long)]
        name: String,
        /// A page, a site section, a sitemap, an RSS/Atom feed, a public profile, or a
        /// search-result page template with `{q}` where the term goes (repeatable).
        #[arg(long = "seed", value_name = "URL", required = true)]
        seeds: Vec<String>,
        /// A term the search templates are crawled for (repeatable).
        #[arg(long = "keyword", value_name = "TERM")]
        keywords: Vec<String>,
        /// A file of terms, one per line (blank lines and `#` comments skipped).
        #[arg(long, value_name = "FILE")]
        keywords_file: Option<std::path::PathBuf>,
        /// Links followed from a seed (0: the seeds only).
        #[arg(long, default_value_t = 1)]
        depth: u32,
        /// `host`: only the seeds' hosts; `listed`: those and every `--host`.
        #[arg(long, default_value = "host")]
        scope: String,
        /// A further host a `listed` scope may reach (`host` or `host:port`; repeatable).
        #[arg(long = "host", value_name = "HOST")]
        hosts: Vec<String>,
        /// How often the list is crawled again: `30m`, `6h`, `1d`, `1w`.
        #[arg(long, default_value = "1d", value_name = "DURATION")]
        every: String,
        /// Do not obey robots.txt on this list (audited; a regulator may be entitled to).
        #[arg(long)]
        ignore_robots: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Every watch list.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// One watch list (JSON).
    Show {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Stop crawling a watch list (it stays, with its findings).
    Disable {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Crawl a disabled watch list again.
    Enable {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Stop obeying robots.txt on a watch list (audited; a regulator may be entitled to).
    IgnoreRobots {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Obey robots.txt on a watch list again.
    ObeyRobots {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f))
}

/// A message and exit code 2 for a bad option (nothing is stored).
fn usage(message: String) -> anyhow::Result<ExitCode> {
    eprintln!("error: {message}");
    Ok(ExitCode::from(2))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        WatchlistCommand::Add {
            name,
            seeds,
            mut keywords,
            keywords_file,
            depth,
            scope,
            hosts,
            every,
            ignore_robots,
            store,
        } => {
            if let Some(f) = keywords_file {
                let text = match std::fs::read_to_string(&f) {
                    Ok(t) => t,
                    Err(e) => return usage(format!("--keywords-file {}: {e}", f.display())),
                };
                keywords.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty() && !l.starts_with('#'))
                        .map(str::to_string),
                );
            }
            let Some(scope) = Scope::parse(&scope) else {
                return usage(format!("--scope: `{scope}` is not `host` or `listed`"));
            };
            let Some(every_ms) = parse_duration(&every) else {
                return usage(format!(
                    "--every: `{every}` is not a duration such as 30m, 6h, 1d or 1w"
                ));
            };
            let spec = WatchListSpec {
                name,
                seeds,
                depth,
                scope,
                hosts,
                every_ms,
                ignore_robots,
                keywords,
            };
            let list = match spec.validate() {
                Ok(l) => l,
                Err(e) => return usage(format!("--{}: {}", e.field, e.message)),
            };
            let (_, store) = store.open()?;
            let id = block_on(store.create_watchlist(cli_actor(), list));
            store.close();
            match id? {
                Ok(id) => println!("{id}"),
                Err(ronda_store::error::StoreError::Conflict(m)) => return usage(m),
                Err(e) => return Err(e.into()),
            }
        }
        WatchlistCommand::List { store } => {
            let (_, store) = store.open()?;
            let lists = store.list_watchlists();
            store.close();
            let lists = lists?;
            if lists.is_empty() {
                println!("no watch list; add one with `ronda watchlist add --name N --seed URL`");
            }
            for w in lists {
                println!(
                    "{:>4}  {:<8}  {}  depth {}  {}  every {}{}  {} seed(s)",
                    w.id,
                    if w.enabled { "enabled" } else { "disabled" },
                    w.list.name,
                    w.list.depth,
                    w.list.scope.as_str(),
                    format_duration(w.list.every_ms),
                    if w.list.ignore_robots {
                        "  robots.txt ignored"
                    } else {
                        ""
                    },
                    w.list.seeds.len()
                );
            }
        }
        WatchlistCommand::Show { id, store } => {
            let (_, store) = store.open()?;
            let w = store.get_watchlist(id);
            store.close();
            let Some(w) = w? else {
                eprintln!("error: watch list {id} does not exist");
                return Ok(ExitCode::from(1));
            };
            let out = serde_json::json!({
                "id": w.id, "name": w.list.name, "enabled": w.enabled, "seeds": w.list.seeds,
                "depth": w.list.depth, "scope": w.list.scope.as_str(), "hosts": w.list.hosts,
                "every": format_duration(w.list.every_ms), "ignore_robots": w.list.ignore_robots,
                "keywords": w.list.keywords,
                "created_at": to_rfc3339(w.created_at), "created_by": w.created_by,
                "last_run_at": w.last_run_at.map(to_rfc3339),
                "next_run_at": to_rfc3339(w.next_run_at),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        WatchlistCommand::Disable { id, store } => {
            return switch(id, &store, Switch::Enabled, false);
        }
        WatchlistCommand::Enable { id, store } => return switch(id, &store, Switch::Enabled, true),
        WatchlistCommand::IgnoreRobots { id, store } => {
            return switch(id, &store, Switch::IgnoreRobots, true);
        }
        WatchlistCommand::ObeyRobots { id, store } => {
            return switch(id, &store, Switch::IgnoreRobots, false);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The switches of a watch list that the CLI sets.
#[derive(Debug, Clone, Copy)]
enum Switch {
    Enabled,
    IgnoreRobots,
}

/// Sets switch `which` of watch list `id` to `on` (audited under `cli:<user>`).
fn switch(id: i64, store: &StoreArgs, which: Switch, on: bool) -> anyhow::Result<ExitCode> {
    let (_, store) = store.open()?;
    let actor = cli_actor();
    let changed = match which {
        Switch::Enabled => block_on(store.set_watchlist_enabled(actor, id, on)),
        Switch::IgnoreRobots => block_on(store.set_watchlist_ignore_robots(actor, id, on)),
    };
    store.close();
    let state = match (which, on) {
        (Switch::Enabled, true) => "enabled",
        (Switch::Enabled, false) => "disabled",
        (Switch::IgnoreRobots, true) => "ignores robots.txt",
        (Switch::IgnoreRobots, false) => "obeys robots.txt",
    };
    match changed? {
        Ok(true) => println!("watch list {id} {state}"),
        Ok(false) => println!("watch list {id} already {state}"),
        Err(ronda_store::error::StoreError::NotFound(_)) => {
            eprintln!("error: watch list {id} does not exist");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(ExitCode::SUCCESS)
}
