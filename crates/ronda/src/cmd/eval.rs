//! `ronda eval` — placeholder until the engine lands in this session; replaced by the engine's owner.

/// Arguments of this subcommand.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("not yet available")
}
