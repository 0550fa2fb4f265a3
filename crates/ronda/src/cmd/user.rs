//! `ronda user create|list|disable|reset-password`: the people who sign in to the console,
//! managed directly in the store. A generated password is printed once, alone on the last line,
//! and is to be changed at the first sign-in; `--password-stdin` reads a chosen one instead
//! (its first line), so that it appears in no shell history or process list.

use std::io::BufRead;
use std::process::ExitCode;

use ronda_core::clock::to_rfc3339;
use ronda_core::model::Role;
use ronda_store::users::{NewUser, PasswordChoice};

use super::store_args::{StoreArgs, cli_actor};

/// Manage console users (people who sign in with a password).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Create a user; a generated password is printed once, alone on the last line.
    Create {
        /// The sign-in name: 2 to 64 of a-z, 0-9, `.`, `_`, `-`, starting with a letter.
        #[arg(long)]
        name: String,
        /// admin, supervisor, analyst, police, platform or intake.
        #[arg(long)]
        role: Role,
        /// The platform a platform user belongs to.
        #[arg(long)]
        platform: Option<String>,
        /// The police unit a police user belongs to.
        #[arg(long)]
        unit: Option<String>,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List users (never their passwords).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Disable a user: they can sign in no more (users are never deleted).
    Disable {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Turn a user's second factor (TOTP) off, e.g. after a lost phone; they set it up again
    /// in the console. Ends their sessions.
    DisableTotp {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a new password: generated and printed once (to be changed at the next sign-in), or
    /// read with `--password-stdin`.
    ResetPassword {
        name: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The password choice: the first line of standard input, or a generated one.
fn choice(password_stdin: bool) -> anyhow::Result<PasswordChoice> {
    if !password_stdin {
        return Ok(PasswordChoice::Generated);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    ronda_store::users::check_password(&password)?;
    Ok(PasswordChoice::Chosen(password))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        UserCommand::Create {
            name,
            role,
            platform,
            unit,
            password_stdin,
            store,
        } => {
            let password = choice(password_stdin)?;
            let (_, store) = store.open()?;
            let new = NewUser {
                name,
                role,
                platform,
                unit,
            };
            let created = store.create_user_blocking(&cli_actor(), new, password);
            store.close();
            let (user, shown) = created?;
            let belongs = match (&user.platform, &user.unit) {
                (Some(p), _) => format!(", platform {p}"),
                (None, Some(u)) => format!(", unit {u}"),
                (None, None) => String::new(),
            };
            match shown {
                Some(password) => {
                    eprintln!(
                        "created user {} ({}, role {}{belongs}); their one-time password follows, it is not shown again and is changed at the first sign-in:",
                        user.id, user.name, user.role
                    );
                    println!("{password}");
                }
                None => println!(
                    "created user {} ({}, role {}{belongs})",
                    user.id, user.name, user.role
                ),
            }
        }
        UserCommand::List { store } => {
            let (_, store) = store.open()?;
            let list = store.list_users();
            store.close();
            println!(
                "{:>5}  {:<20} {:<11} {:<24} {:<9} {:<25} NOTE",
                "ID", "NAME", "ROLE", "PLATFORM / UNIT", "STATUS", "CREATED"
            );
            for u in list? {
                println!(
                    "{:>5}  {:<20} {:<11} {:<24} {:<9} {:<25} {}",
                    u.id,
                    u.name,
                    u.role.as_str(),
                    u.platform.as_deref().or(u.unit.as_deref()).unwrap_or("-"),
                    if u.disabled_at.is_some() {
                        "disabled"
                    } else {
                        "active"
                    },
                    to_rfc3339(u.created_at),
                    [
                        u.password_must_change.then_some("password to be changed"),
                        u.totp.then_some("second factor on"),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; ")
                );
            }
        }
        UserCommand::Disable { name, store } => {
            let (_, store) = store.open()?;
            let done = store.disable_user_blocking(&cli_actor(), &name);
            store.close();
            let user = done?;
            println!("disabled user {} ({})", user.id, user.name);
        }
        UserCommand::DisableTotp { name, store } => {
            let (_, store) = store.open()?;
            let done = store.disable_totp_blocking(&cli_actor(), &name);
            store.close();
            let user = done?;
            println!("second factor off for user {} ({})", user.id, user.name);
        }
        UserCommand::ResetPassword {
            name,
            password_stdin,
            store,
        } => {
            let password = choice(password_stdin)?;
            let (_, store) = store.open()?;
            let done = store.reset_user_password_blocking(&cli_actor(), &name, password);
            store.close();
            match done? {
                Some(password) => {
                    eprintln!(
                        "new one-time password for {name}; it is not shown again and is changed at the next sign-in:"
                    );
                    println!("{password}");
                }
                None => println!("password of {name} changed"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
