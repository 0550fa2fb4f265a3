//! PDQ throughput on pre-decoded pixels, for `bench/media/run.sh`.
//!
//! Usage: `pdq_bench PIXELS ROUNDS HASHES_OUT`. `PIXELS` holds images back to back as
//! `width: u32 LE, height: u32 LE, width * height * 3 bytes of RGB` (written by the Python side
//! from Pillow's decode, so both hashers see the same pixels). Hashes every image `ROUNDS`
//! times on one thread, prints the median images/s, and writes `pdq,quality` lines.

use std::time::Instant;

use ronda_media::PdqHasher;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        return Err("usage: pdq_bench PIXELS ROUNDS HASHES_OUT".into());
    }
    let data = std::fs::read(&args[1])?;
    let rounds: usize = args[2].parse()?;
    let mut images = Vec::new();
    let mut at = 0;
    while at + 8 <= data.len() {
        let width = u32::from_le_bytes(data[at..at + 4].try_into()?) as usize;
        let height = u32::from_le_bytes(data[at + 4..at + 8].try_into()?) as usize;
        let len = width * height * 3;
        images.push((width, height, &data[at + 8..at + 8 + len]));
        at += 8 + len;
    }
    let mut hasher = PdqHasher::new();
    let mut lines = String::new();
    for &(width, height, rgb) in &images {
        let out = hasher.hash_rgb(rgb, width, height)?;
        lines.push_str(&format!("{},{}\n", out.hash, out.quality));
    }
    std::fs::write(&args[3], lines)?;

    let mut rates = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        for &(width, height, rgb) in &images {
            std::hint::black_box(hasher.hash_rgb(rgb, width, height)?);
        }
        rates.push(images.len() as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let pixels: usize = images.iter().map(|(w, h, _)| w * h).sum();
    println!(
        "ronda-media pdq: {} images ({:.1} Mpx), {} rounds, median {:.1} images/s, scratch {} KiB",
        images.len(),
        pixels as f64 / 1e6,
        rounds,
        rates[rates.len() / 2],
        hasher.scratch_bytes() / 1024
    );
    Ok(())
}
