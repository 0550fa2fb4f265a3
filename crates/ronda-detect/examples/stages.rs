//! Times each stage of the engine over the texts of a JSONL file (one `"text"` per line):
//! `cargo run --release -p ronda-detect --example stages -- bench/out/detect/posts.jsonl`;
//! with `analyze` after the file, only the whole engine, five times over (for `perf record`).

use std::time::Instant;

use ronda_detect::classifier::rule_prior;
use ronda_detect::normalize::{fold, normalize_folded};
use ronda_detect::{Engine, identifiers};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: stages FILE.jsonl")?;
    let src = std::fs::read_to_string(path)?;
    let texts: Vec<String> = src
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
        .collect();
    let engine = Engine::with_defaults()?;
    if std::env::args().nth(2).as_deref() == Some("analyze") {
        let t = Instant::now();
        for _ in 0..5 {
            for t in &texts {
                std::hint::black_box(engine.analyze(t));
            }
        }
        let s = t.elapsed().as_secs_f64() / 5.0;
        println!("analyze {:>8.2} µs/post", s / texts.len() as f64 * 1e6);
        return Ok(());
    }
    let n = texts.len() as f64;
    let time = |name: &str, f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        let s = t.elapsed().as_secs_f64();
        println!(
            "{name:<12}{:>8.2} µs/post  {:>10.0} posts/s",
            s / n * 1e6,
            n / s
        );
    };
    let folded: Vec<_> = texts.iter().map(|t| fold(t)).collect();
    let norm: Vec<_> = folded.iter().map(normalize_folded).collect();
    time("fold", &mut || {
        for t in &texts {
            std::hint::black_box(fold(t));
        }
    });
    time("normalize", &mut || {
        for f in &folded {
            std::hint::black_box(normalize_folded(f));
        }
    });
    time("identifiers", &mut || {
        for (f, n) in folded.iter().zip(&norm) {
            std::hint::black_box(identifiers::extract(f.as_str(), n.as_str()));
        }
    });
    time("ages", &mut || {
        for n in &norm {
            std::hint::black_box(identifiers::ages(n.as_str()));
        }
    });
    time("rules", &mut || {
        for n in &norm {
            std::hint::black_box(engine.rules().find(n.as_str()));
        }
    });
    time("model", &mut || {
        for n in &norm {
            std::hint::black_box(engine.model().scores(n.as_str(), &[], &rule_prior([])));
        }
    });
    time("analyze", &mut || {
        for t in &texts {
            std::hint::black_box(engine.analyze(t));
        }
    });
    Ok(())
}
