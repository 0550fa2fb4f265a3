//! `ronda evidence export` (a signed bundle of a case or an actor, from the store) and
//! `ronda evidence verify` (offline: needs only the zip, and the instance's public key to know
//! who signed it).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ronda_core::evidence::{parse_public_key, verify};
use ronda_server::evidence_zip::{read_zip, write_zip};
use ronda_service::bootstrap::signing_key;
use ronda_store::evidence::BundleRequest;
use ronda_store::referrals::Subject;

use super::store_args::{StoreArgs, cli_actor};

/// Evidence bundles for the police and courts.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: EvidenceCommand,
}

#[derive(Debug, clap::Subcommand)]
enum EvidenceCommand {
    /// Write a signed evidence bundle (zip) of a case or of every case of an actor.
    Export {
        /// The case to export.
        #[arg(
            long = "case",
            value_name = "ID",
            conflicts_with = "actor",
            required_unless_present = "actor"
        )]
        case_id: Option<i64>,
        /// The actor whose accounts' cases to export.
        #[arg(long, value_name = "ID")]
        actor: Option<i64>,
        /// Where to write the zip.
        #[arg(long, value_name = "FILE.zip")]
        out: PathBuf,
        /// Put reporter names and contacts in the bundle (left out by default: confidential).
        #[arg(long)]
        include_reporters: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Verify a bundle offline; exits 1 naming each file altered, added or removed, an altered
    /// manifest, or a key other than the pinned one. Without --public-key the signature is only
    /// checked against the key the bundle names: anyone can re-sign an edited bundle, so that
    /// exits 3 unless --trust-embedded-key says so.
    Verify {
        /// The bundle (zip).
        file: PathBuf,
        /// The expected signer: the instance's public key (64 hex digits, `ronda keys show`).
        #[arg(long, value_name = "HEX")]
        public_key: Option<String>,
        /// Accept the key the bundle names itself (its integrity is checked, not its origin).
        #[arg(long, conflicts_with = "public_key")]
        trust_embedded_key: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        EvidenceCommand::Export {
            case_id,
            actor,
            out,
            include_reporters,
            store,
        } => {
            let subject = match (case_id, actor) {
                (Some(c), _) => Subject::Case(c),
                (None, Some(a)) => Subject::Actor(a),
                (None, None) => anyhow::bail!("name a --case or an --actor"),
            };
            let (config, store) = store.open()?;
            let seed = signing_key(&config)?;
            let req = BundleRequest {
                subject,
                requested_by: cli_actor(),
                reporter_identity: include_reporters,
            };
            let bundle = store.export_evidence_blocking(&req, &seed);
            store.close();
            let bundle = bundle?;
            let zipped = write_zip(&bundle.files)?;
            std::fs::write(&out, zipped).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} ({} files, {} cases); manifest SHA-256 {}",
                out.display(),
                bundle.files.len(),
                bundle.cases.len(),
                bundle.manifest_sha256
            );
            println!("signed by {}", ronda_core::evidence::public_key_hex(&seed));
            Ok(ExitCode::SUCCESS)
        }
        EvidenceCommand::Verify {
            file,
            public_key,
            trust_embedded_key,
        } => {
            let pinned = public_key
                .as_deref()
                .map(parse_public_key)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--public-key: {e}"))?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let entries =
                read_zip(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let v = verify(&entries, pinned.as_ref());
            if !v.is_ok() {
                eprintln!("bundle NOT intact: {}", file.display());
                for p in &v.problems {
                    eprintln!("  {p}");
                }
                return Ok(ExitCode::from(1));
            }
            let files = v.manifest.as_ref().map_or(0, |m| m.files.len());
            let signer = v.signer.unwrap_or_default();
            println!("bundle intact: {files} files match the signed manifest");
            if v.pinned {
                println!("signed by {signer} (the pinned key)");
                Ok(ExitCode::SUCCESS)
            } else if trust_embedded_key {
                println!("signed by {signer} (the key the bundle names, trusted as asked)");
                Ok(ExitCode::SUCCESS)
            } else {
                println!("signed by {signer}, a key the bundle names itself");
                eprintln!(
                    "who signed is NOT checked: pass --public-key with the instance's key (`ronda keys show`), \
                     or --trust-embedded-key to accept this one"
                );
                Ok(ExitCode::from(3))
            }
        }
    }
}
