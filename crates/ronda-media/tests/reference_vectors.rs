//! PDQ against the reference vectors in `tests/data/pdq` (hashes computed by Meta's C++ on
//! Pillow-decoded RGB): every vector, PNG and JPEG, must give the reference hash and quality
//! exactly. JPEG decodes through libjpeg-turbo's code, as in Pillow, so the pixels are the same.

use std::path::PathBuf;

use ronda_media::pdq::{Dihedral, LumaRounding, PdqHash, PdqHasher};
use ronda_media::{DecodeLimits, decode_rgb};

struct Vector {
    path: String,
    hash: PdqHash,
    quality: u8,
}

/// The reference images and hashes, kept in the repository (BSD: `tests/data/pdq/LICENSE`).
fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/pdq")
}

fn vectors(dir: &std::path::Path) -> Vec<Vector> {
    let text = std::fs::read_to_string(dir.join("expected.csv")).expect("read expected.csv");
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Vector {
                path: fields[0].to_string(),
                hash: fields[1].parse().expect("hash"),
                quality: fields[2].parse().expect("quality"),
            }
        })
        .collect()
}

/// Per-format tallies of one run over the vectors.
#[derive(Debug, Default)]
struct Tally {
    png: usize,
    jpeg: usize,
    /// Vectors whose hash or quality differs from the reference, with the difference.
    mismatches: Vec<String>,
    report: Vec<String>,
}

fn check(rounding: LumaRounding) -> Tally {
    let dir = data_dir();
    let mut hasher = PdqHasher::with_luma_rounding(rounding);
    let mut tally = Tally::default();
    for v in vectors(&dir) {
        let bytes = std::fs::read(dir.join(&v.path)).expect("read image");
        let image = decode_rgb(&bytes, &DecodeLimits::default()).expect("decode");
        let out = hasher
            .hash_rgb(&image.rgb, image.width as usize, image.height as usize)
            .expect("hash");
        let distance = out.hash.distance(&v.hash);
        let line = format!(
            "{} {}x{} distance={} quality={} expected={} exif_orientation={:?}",
            v.path, image.width, image.height, distance, out.quality, v.quality, image.orientation
        );
        if distance != 0 || out.quality != v.quality {
            tally.mismatches.push(line.clone());
        }
        tally.report.push(line);
        if v.path.ends_with(".png") {
            tally.png += 1;
        } else {
            tally.jpeg += 1;
        }
    }
    tally
}

#[test]
fn reproduces_reference_vectors() {
    let t = check(LumaRounding::Float64);
    for line in &t.report {
        eprintln!("{line}");
    }
    eprintln!(
        "{} png + {} jpeg vectors, {} not exact",
        t.png,
        t.jpeg,
        t.mismatches.len()
    );
    assert!(t.png > 0 && t.jpeg > 0, "vectors were read");
    assert!(
        t.mismatches.is_empty(),
        "every vector must match hash and quality exactly:\n{}",
        t.mismatches.join("\n")
    );
}

#[test]
fn dihedral_hashes_of_the_original_match_the_transformed_files() {
    let dir = data_dir();
    let decode = |name: &str| {
        let bytes = std::fs::read(dir.join("images").join(name)).expect("read image");
        decode_rgb(&bytes, &DecodeLimits::default()).expect("decode")
    };
    let mut hasher = PdqHasher::new();
    let original = decode("dih-bridge-1-original.jpg");
    let all = ronda_media::dihedral_decoded(&mut hasher, &original);
    assert_eq!(
        all.get(Dihedral::Original),
        ronda_media::hash_decoded(&mut hasher, &original).hash
    );
    let files = [
        (Dihedral::Rotate90, "dih-bridge-2-rotate-90.jpg"),
        (Dihedral::Rotate180, "dih-bridge-3-rotate-180.jpg"),
        (Dihedral::Rotate270, "dih-bridge-4-rotate-270.jpg"),
        (Dihedral::FlipX, "dih-bridge-5-flipx.jpg"),
        (Dihedral::FlipY, "dih-bridge-6-flipy.jpg"),
        (Dihedral::FlipPlus1, "dih-bridge-7-flip-plus-1.jpg"),
        (Dihedral::FlipMinus1, "dih-bridge-8-flip-minus-1.jpg"),
    ];
    for (transform, name) in files {
        let direct = ronda_media::hash_decoded(&mut hasher, &decode(name)).hash;
        let distance = all.get(transform).distance(&direct);
        eprintln!("{name}: {transform:?} distance {distance}");
        assert!(
            distance <= 16,
            "{name}: {transform:?} is {distance} bits away"
        );
    }
}

#[test]
fn float32_luma_as_in_the_cpp_tool_gives_the_same_hashes() {
    let t = check(LumaRounding::Float32);
    eprintln!(
        "f32 luma: {} png + {} jpeg vectors, {} not exact",
        t.png,
        t.jpeg,
        t.mismatches.len()
    );
    assert!(
        t.mismatches.is_empty(),
        "f32 luma must also match exactly:\n{}",
        t.mismatches.join("\n")
    );
}

/// Large JPEGs scaled while decoding (1/2 here) hash within a few bits of their full-size
/// decode. Each reference photo is enlarged to a 2048-pixel shorter side and re-encoded; the
/// scaled decode builds a 1024-pixel one. Measured: 4, 2, 4, 4 bits (at 4096 pixels and 1/4,
/// 4 bits for the first); the enlargement itself moved the hashes by 2, 28, 18 and 2 bits.
/// (`rgb.jpeg`, a synthetic gradient, is left out: enlarging it alone moves its hash 80 bits,
/// and the scaled decode is closer to its original than the full one.)
#[test]
fn scaled_jpeg_decodes_hash_close_to_full_size() {
    use std::io::Cursor;
    let dir = data_dir().join("images");
    let mut worst = 0;
    for name in [
        "aaa-orig.jpg",
        "labelme-q1050.jpg",
        "labelme-q0291.jpg",
        "letterboxed_sample-b.jpg",
    ] {
        let small = image::open(dir.join(name)).expect("open").to_rgb8();
        let (w, h) = small.dimensions();
        let k = 2048.0 / f64::from(w.min(h));
        let (bw, bh) = (
            (f64::from(w) * k).round() as u32,
            (f64::from(h) * k).round() as u32,
        );
        let big = image::imageops::resize(&small, bw, bh, image::imageops::FilterType::Triangle);
        let mut bytes = Cursor::new(Vec::new());
        big.write_to(&mut bytes, image::ImageFormat::Jpeg)
            .expect("encode");
        let bytes = bytes.into_inner();
        let full_limits = DecodeLimits {
            max_pixels: 200_000_000,
            max_dimension: 65_000,
            ..DecodeLimits::default()
        };
        let scaled_limits = DecodeLimits {
            jpeg_min_side: Some(1024),
            ..full_limits
        };
        let full = decode_rgb(&bytes, &full_limits).expect("full");
        let scaled = decode_rgb(&bytes, &scaled_limits).expect("scaled");
        assert_eq!(
            (scaled.width, scaled.height),
            (bw.div_ceil(2), bh.div_ceil(2)),
            "{name}"
        );
        assert_eq!(
            ronda_media::decode::probe_decoded_size(&bytes, &scaled_limits).expect("probe"),
            (scaled.width, scaled.height)
        );
        let mut hasher = PdqHasher::new();
        let a = ronda_media::hash_decoded(&mut hasher, &full).hash;
        let b = ronda_media::hash_decoded(&mut hasher, &scaled).hash;
        let d = a.distance(&b);
        let original = ronda_media::pdq_from_bytes(
            &std::fs::read(dir.join(name)).expect("read"),
            &full_limits,
        )
        .expect("hash")
        .hash;
        eprintln!(
            "{name}: {bw}x{bh} full vs 1/2 scaled: {d} bits; original vs full {}, vs scaled {}",
            original.distance(&a),
            original.distance(&b)
        );
        worst = worst.max(d);
    }
    assert!(worst <= 8, "scaled decodes differ by {worst} bits");
}
