//! `ronda hash` — PDQ hashes of image files, printed as the reference tool prints them:
//! `pdq,quality,path`, one line per image (eight lines with `--dihedral`, like the reference's
//! `--pdqdih`: orig, rot90, rot180, rot270, flipx, flipy, flipp, flipm).
//!
//! `-` among the arguments reads a list of paths from stdin, one per line (the reference's
//! `--files-on-stdin`). Images are hashed on all cores in batches; output keeps input order.
//! A file that cannot be read or decoded is reported on stderr, the others are still printed,
//! and the exit code is 1 at the end.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use rayon::prelude::*;
use ronda_media::{DecodeLimits, PdqHasher, decode_rgb, dihedral_decoded, hash_decoded};

/// Arguments of this subcommand.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print all 8 dihedral-transform hashes, one line each (orig, rot90, rot180, rot270,
    /// flipx, flipy, flipp, flipm).
    #[arg(long)]
    pub dihedral: bool,
    /// Largest image file accepted, in MiB.
    #[arg(long, default_value_t = 64)]
    pub max_mib: usize,
    /// Largest image accepted, in megapixels.
    #[arg(long, default_value_t = 64)]
    pub max_megapixels: u64,
    /// Image files (JPEG, PNG, WebP, GIF first frame, BMP); `-` reads paths from stdin, one a line.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
}

/// Paths hashed in parallel before their lines are written.
const BATCH: usize = 256;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let limits = DecodeLimits {
        max_bytes: args.max_mib.saturating_mul(1 << 20),
        max_pixels: args.max_megapixels.saturating_mul(1_000_000),
        ..DecodeLimits::default()
    };
    let mut paths = Vec::new();
    for arg in &args.images {
        if arg.as_os_str() == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line.context("reading paths from stdin")?;
                let line = line.trim_end_matches('\r');
                if !line.is_empty() {
                    paths.push(PathBuf::from(line));
                }
            }
        } else {
            paths.push(arg.clone());
        }
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failures = 0usize;
    for batch in paths.chunks(BATCH) {
        let results: Vec<Result<String, String>> = batch
            .par_iter()
            .map_init(PdqHasher::new, |hasher, path| {
                hash_file(hasher, path, &limits, args.dihedral).map_err(|e| format!("{e:#}"))
            })
            .collect();
        for (path, result) in batch.iter().zip(results) {
            match result {
                Ok(lines) => out.write_all(lines.as_bytes())?,
                Err(error) => {
                    failures += 1;
                    out.flush()?;
                    eprintln!("ronda hash: {}: {error}", path.display());
                }
            }
        }
        out.flush()?;
    }
    if failures > 0 {
        eprintln!("ronda hash: {failures} of {} files failed", paths.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn hash_file(
    hasher: &mut PdqHasher,
    path: &Path,
    limits: &DecodeLimits,
    dihedral: bool,
) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).context("cannot open")?;
    // Read at most one byte past the limit, so a huge file is refused without loading it.
    let mut bytes = Vec::new();
    file.take(limits.max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .context("cannot read")?;
    let image = decode_rgb(&bytes, limits)?;
    let name = path.display();
    if dihedral {
        let all = dihedral_decoded(hasher, &image);
        Ok(all
            .hashes
            .iter()
            .map(|hash| format!("{hash},{},{name}\n", all.quality))
            .collect())
    } else {
        let out = hash_decoded(hasher, &image);
        Ok(format!("{},{},{name}\n", out.hash, out.quality))
    }
}
