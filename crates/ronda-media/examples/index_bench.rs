//! Radius-search benchmark of [`ronda_media::HashIndex`], for `bench/media/run.sh`.
//!
//! - `index_bench gen N QUERIES SEED DIR`: writes `DIR/bank.bin` (N hashes, 32 bytes each,
//!   limbs little-endian) and `DIR/queries.bin`. Half the queries have planted neighbours in the
//!   bank (8 each, at distances 0..=31, bits spread over the hash); half are plain random.
//! - `index_bench query DIR RADIUS OUT`: builds the index, answers every query on one thread,
//!   writes the sorted ids found per query (one line each) and prints timings and peak RSS.
//! - `index_bench load-text N`: times parsing a text bank of N hex lines plus building.

use std::io::Write;
use std::time::Instant;

use ronda_media::bank::HashList;
use ronda_media::index::SearchStrategy;
use ronda_media::{HashIndex, PdqHash};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// splitmix64: deterministic, fast, good enough for benchmark data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn hash(&mut self) -> PdqHash {
        PdqHash([self.next(), self.next(), self.next(), self.next()])
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn write_hashes(path: &std::path::Path, hashes: &[PdqHash]) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for hash in hashes {
        for limb in hash.0 {
            out.write_all(&limb.to_le_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn read_hashes(path: &std::path::Path) -> Result<Vec<PdqHash>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            PdqHash(std::array::from_fn(|i| {
                u64::from_le_bytes(c[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
            }))
        })
        .collect())
}

fn generate(n: usize, queries: usize, seed: u64, dir: &std::path::Path) -> Result<()> {
    let mut rng = Rng(seed);
    let mut bank: Vec<PdqHash> = (0..n).map(|_| rng.hash()).collect();
    let mut query_hashes = Vec::with_capacity(queries);
    for q in 0..queries {
        let query = rng.hash();
        if q % 2 == 0 {
            for _ in 0..8 {
                let distance = (rng.next() % 32) as usize;
                let mut neighbour = query;
                let mut flipped = std::collections::HashSet::new();
                while flipped.len() < distance {
                    // Spread over the chunks: one bit per 32-bit chunk in turn.
                    let chunk = flipped.len() % 8;
                    let bit = chunk * 32 + (rng.next() % 32) as usize;
                    if flipped.insert(bit) {
                        neighbour.0[bit / 64] ^= 1 << (bit % 64);
                    }
                }
                let slot = (rng.next() % n as u64) as usize;
                bank[slot] = neighbour;
            }
        }
        query_hashes.push(query);
    }
    std::fs::create_dir_all(dir)?;
    write_hashes(&dir.join("bank.bin"), &bank)?;
    write_hashes(&dir.join("queries.bin"), &query_hashes)?;
    Ok(())
}

fn query(dir: &std::path::Path, radius: u32, out_path: &std::path::Path) -> Result<()> {
    let bank = read_hashes(&dir.join("bank.bin"))?;
    let queries = read_hashes(&dir.join("queries.bin"))?;
    let rss_before = peak_rss_mib();
    let started = Instant::now();
    let index = HashIndex::from_hashes(bank)?;
    let build = started.elapsed().as_secs_f64();
    // Two rounds over all queries; the faster round counts (the machine is shared).
    let mut latencies = Vec::with_capacity(queries.len() * 2);
    let mut found = Vec::new();
    let mut lines = String::new();
    let mut matches = 0usize;
    let mut total = f64::MAX;
    for round in 0..2 {
        let all = Instant::now();
        for query in &queries {
            let one = Instant::now();
            index.search_into(query, radius, SearchStrategy::Auto, &mut found);
            latencies.push(one.elapsed().as_secs_f64());
            if round == 0 {
                matches += found.len();
                let mut ids: Vec<u32> = found.iter().map(|m| m.id).collect();
                ids.sort_unstable();
                let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
                lines.push_str(&ids.join(" "));
                lines.push('\n');
            }
        }
        total = total.min(all.elapsed().as_secs_f64());
    }
    latencies.sort_by(f64::total_cmp);
    std::fs::write(out_path, lines)?;
    println!(
        "{{\"impl\":\"ronda-media HashIndex (8x32 MIH)\",\"n\":{},\"queries\":{},\"radius\":{},\"build_s\":{:.3},\"qps\":{:.1},\"median_ms\":{:.4},\"p99_ms\":{:.4},\"matches\":{},\"index_bytes_per_hash\":{:.1},\"peak_rss_mib\":{:.1},\"rss_before_build_mib\":{:.1}}}",
        index.len(),
        queries.len(),
        radius,
        build,
        queries.len() as f64 / total,
        latencies[latencies.len() / 2] * 1e3,
        latencies[latencies.len() * 99 / 100] * 1e3,
        matches,
        index.memory_bytes() as f64 / index.len() as f64,
        peak_rss_mib(),
        rss_before,
    );
    Ok(())
}

fn load_text(n: usize) -> Result<()> {
    let mut rng = Rng(42);
    let mut text = String::with_capacity(n * 65);
    for _ in 0..n {
        text.push_str(&rng.hash().to_hex());
        text.push('\n');
    }
    let started = Instant::now();
    let mut list = HashList::parse(&text)?;
    let parsed = started.elapsed().as_secs_f64();
    let index = HashIndex::from_hashes(std::mem::take(&mut list.hashes))?;
    let total = started.elapsed().as_secs_f64();
    println!(
        "{{\"load_text_n\":{},\"text_mib\":{:.0},\"parse_s\":{:.2},\"build_s\":{:.2},\"total_s\":{:.2}}}",
        index.len(),
        text.len() as f64 / (1 << 20) as f64,
        parsed,
        total - parsed,
        total
    );
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 6 => generate(
            args[2].parse()?,
            args[3].parse()?,
            args[4].parse()?,
            std::path::Path::new(&args[5]),
        ),
        Some("query") if args.len() == 5 => query(
            std::path::Path::new(&args[2]),
            args[3].parse()?,
            std::path::Path::new(&args[4]),
        ),
        Some("load-text") if args.len() == 3 => load_text(args[2].parse()?),
        _ => Err(
            "usage: index_bench gen N QUERIES SEED DIR | query DIR RADIUS OUT | load-text N".into(),
        ),
    }
}
