//! `ronda token create|list|revoke`: API tokens, managed directly in the store.

use std::process::ExitCode;

use ronda_core::clock::to_rfc3339;
use ronda_core::model::Role;

use super::store_args::{StoreArgs, cli_actor};

/// Manage API tokens.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TokenCommand {
    /// Create a token; its secret is printed once, alone on the last line.
    Create {
        /// admin, supervisor, analyst, police, platform or intake.
        #[arg(long)]
        role: Role,
        /// A name that says who holds it.
        #[arg(long)]
        name: String,
        /// The platform a platform token is bound to.
        #[arg(long)]
        platform: Option<String>,
        /// The token stops working after this long: `90m`, `12h`, `30d`.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
        expires_in: Option<i64>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token by id.
    Revoke {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        TokenCommand::Create {
            role,
            name,
            platform,
            expires_in,
            store,
        } => {
            let (_, store) = store.open()?;
            let expires_at = expires_in.map(|d| store.now_ms().saturating_add(d));
            let t = store.create_token_expiring_blocking(
                &cli_actor(),
                &name,
                role,
                platform.as_deref(),
                expires_at,
            )?;
            store.close();
            eprintln!(
                "created token {} ({}, role {}{}); store the secret now, it is not shown again:",
                t.info.id,
                t.info.name,
                t.info.role,
                t.info
                    .platform
                    .as_deref()
                    .map(|p| format!(", platform {p}"))
                    .unwrap_or_default()
                    + &t.info
                        .expires_at
                        .map(|e| format!(", expires {}", to_rfc3339(e)))
                        .unwrap_or_default()
            );
            println!("{}", t.secret);
        }
        TokenCommand::List { store } => {
            let (_, store) = store.open()?;
            let list = store.list_tokens()?;
            store.close();
            println!(
                "{:>5}  {:<11} {:<12} {:<25} {:<25} {:<25} NAME",
                "ID", "ROLE", "PLATFORM", "CREATED", "REVOKED", "EXPIRES"
            );
            for t in list {
                println!(
                    "{:>5}  {:<11} {:<12} {:<25} {:<25} {:<25} {}",
                    t.id,
                    t.role.as_str(),
                    t.platform.as_deref().unwrap_or("-"),
                    to_rfc3339(t.created_at),
                    t.revoked_at.map_or_else(|| "-".to_string(), to_rfc3339),
                    t.expires_at.map_or_else(|| "-".to_string(), to_rfc3339),
                    t.name
                );
            }
        }
        TokenCommand::Revoke { id, store } => {
            let (_, store) = store.open()?;
            store.revoke_token_blocking(&cli_actor(), id)?;
            store.close();
            println!("revoked token {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `90m`, `12h`, `30d` (or plain seconds) as milliseconds; at most ten years.
fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a duration such as 90m, 12h or 30d"))?;
    let ms = match unit {
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{s}`: the unit is s, m, h or d")),
    };
    let total = n.saturating_mul(ms);
    if n == 0 || total > 10 * 366 * 86_400_000 {
        return Err(format!("`{s}`: from one second to ten years"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("90m"), Ok(90 * 60_000));
        assert_eq!(parse_duration_ms("30d"), Ok(30 * 86_400_000));
        assert_eq!(parse_duration_ms("45"), Ok(45_000));
        for bad in ["", "d", "1w", "0h", "99999d", "-1h"] {
            assert!(parse_duration_ms(bad).is_err(), "{bad}");
        }
    }
}
