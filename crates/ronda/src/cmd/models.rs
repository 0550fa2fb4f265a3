//! `ronda models list | show ID | activate ID | rollback`: the registry of detection models
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
    /// One model: what it learnt from and how it scored (JSON).
    Show {
        id: i64,
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
}

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
            store.close();
            let Some(m) = m? else {
                anyhow::bail!("model {id} is not registered");
            };
            let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_default();
            let out = serde_json::json!({
                "id": m.id, "created_at": to_rfc3339(m.created_at), "created_by": m.created_by,
                "sha256": m.sha256, "size": m.size, "active": m.active,
                "training": parse(&m.training_json), "metrics": parse(&m.metrics_json),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
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
