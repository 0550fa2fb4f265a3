//! Criterion benches of the engine's stages: normalise, extract, classify, and one whole
//! `Engine::analyze`, over a fixed mix of posts (ads with disguises, shop posts, news, plain text).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ronda_detect::classifier::rule_prior;
use ronda_detect::normalize::{fold, normalize, normalize_folded};
use ronda_detect::{Engine, identifiers};

const POSTS: &[&str] = &[
    "0p3n b0 jogja malam ini, ST 350k LT 1,2jt include room, real pict no tipu. WA 0812-3456-7890",
    "ＯＰＥＮ ＢＯ 𝐣𝐚𝐤𝐚𝐫𝐭𝐚 🔥 avail sekarang 🔥 t.me/sari_bo 🔥 rate 500k",
    "Open order kue kering lebaran! nastar 120rb, kastengel 130rb, DP 50% ya kak, bisa COD area Depok",
    "Polres Bandung membongkar praktik prostitusi online lewat aplikasi, tiga tersangka diamankan",
    "slot gacor hari ini maxwin, depo 10k via dana, bonus new member 100%, link alternatif di bio",
    "warung ini dimiliki oleh pengusaha pabrik tahu yang sudah puluhan tahun terkenal membuat tahu putih di bandung",
    "h\u{200b}a\u{200b}l\u{200b}o kak, o p e n  b o  bogor, nol delapan satu dua tiga empat lima enam tujuh delapan",
    "Hati-hati penipuan modus open BO: korban disuruh transfer DP dulu lalu nomornya diblokir",
];

fn benches(c: &mut Criterion) {
    let engine = Engine::with_defaults().expect("default engine");
    let bytes: usize = POSTS.iter().map(|p| p.len()).sum();
    let folded: Vec<_> = POSTS.iter().map(|p| fold(p)).collect();
    let normalized: Vec<_> = folded.iter().map(normalize_folded).collect();

    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Elements(POSTS.len() as u64));
    g.bench_function("normalize", |b| {
        b.iter(|| {
            for p in POSTS {
                black_box(normalize(black_box(p)));
            }
        })
    });
    g.bench_function("extract", |b| {
        b.iter(|| {
            for (f, n) in folded.iter().zip(&normalized) {
                black_box(identifiers::extract(f.as_str(), n.as_str()));
                black_box(identifiers::ages(n.as_str()));
            }
        })
    });
    g.bench_function("classify", |b| {
        b.iter(|| {
            for n in &normalized {
                let hits = engine.rules().find(n.as_str());
                let fired: Vec<_> = hits
                    .iter()
                    .map(|h| &engine.rules().rules()[h.rule])
                    .collect();
                let ids: Vec<&str> = fired.iter().map(|r| r.id.as_str()).collect();
                let prior = rule_prior(fired.iter().map(|r| (r.category.as_str(), r.weight)));
                black_box(engine.model().scores(n.as_str(), &ids, &prior));
            }
        })
    });
    g.bench_function("analyze", |b| {
        b.iter(|| {
            for p in POSTS {
                black_box(engine.analyze(black_box(p)));
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("detect_bytes");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("analyze", |b| {
        b.iter(|| {
            for p in POSTS {
                black_box(engine.analyze(black_box(p)));
            }
        })
    });
    g.finish();
}

criterion_group!(detect, benches);
criterion_main!(detect);
