//! PDQ against the reference vectors in `shared/data/pdq` (hashes computed by Meta's C++ on
//! Pillow-decoded RGB): exact on PNG, within 4 bits on JPEG (decoders round differently).

use std::path::PathBuf;

use ronda_media::pdq::{Dihedral, LumaRounding, PdqHash, PdqHasher};
use ronda_media::{DecodeLimits, decode_rgb};

struct Vector {
    path: String,
    hash: PdqHash,
    quality: u8,
}

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pdq");
    dir.is_dir().then_some(dir)
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
    png_exact: usize,
    jpeg: usize,
    jpeg_exact: usize,
    /// Largest JPEG distance among images the reference rates usable (quality >= 50).
    max_jpeg_usable: u32,
    /// Largest JPEG distance over all images, low quality included.
    max_jpeg_any: u32,
    report: Vec<String>,
}

fn check(rounding: LumaRounding) -> Tally {
    let dir = data_dir().expect("checked by caller");
    let mut hasher = PdqHasher::with_luma_rounding(rounding);
    let mut tally = Tally::default();
    for v in vectors(&dir) {
        let bytes = std::fs::read(dir.join(&v.path)).expect("read image");
        let image = decode_rgb(&bytes, &DecodeLimits::default()).expect("decode");
        let out = hasher
            .hash_rgb(&image.rgb, image.width as usize, image.height as usize)
            .expect("hash");
        let distance = out.hash.distance(&v.hash);
        let exact = distance == 0 && out.quality == v.quality;
        tally.report.push(format!(
            "{} {}x{} distance={} quality={} expected={} exif_orientation={:?}",
            v.path, image.width, image.height, distance, out.quality, v.quality, image.orientation
        ));
        if v.path.ends_with(".png") {
            tally.png += 1;
            tally.png_exact += usize::from(exact);
        } else {
            tally.jpeg += 1;
            tally.jpeg_exact += usize::from(exact);
            tally.max_jpeg_any = tally.max_jpeg_any.max(distance);
            if v.quality >= 50 {
                tally.max_jpeg_usable = tally.max_jpeg_usable.max(distance);
                assert!(
                    out.quality.abs_diff(v.quality) <= 1,
                    "{}: quality {} vs {}",
                    v.path,
                    out.quality,
                    v.quality
                );
            }
        }
    }
    tally
}

#[test]
fn reproduces_reference_vectors() {
    if data_dir().is_none() {
        eprintln!("SKIPPED: shared/data/pdq not found next to the workspace");
        return;
    }
    let t = check(LumaRounding::Float64);
    for line in &t.report {
        eprintln!("{line}");
    }
    eprintln!(
        "png {}/{} exact, jpeg {}/{} exact, max jpeg distance {} (quality >= 50: {})",
        t.png_exact, t.png, t.jpeg_exact, t.jpeg, t.max_jpeg_any, t.max_jpeg_usable
    );
    assert!(t.png > 0 && t.jpeg > 0, "vectors were read");
    assert_eq!(
        t.png_exact, t.png,
        "every PNG must match hash and quality exactly"
    );
    // JPEG decoders differ from libjpeg-turbo by a unit here and there. On images the
    // reference itself rates usable that moves at most 4 bits; on near-flat images (quality
    // 3, where PDQ says the hash means little) it moves a few more.
    assert!(
        t.max_jpeg_usable <= 4,
        "usable JPEGs within 4 bits, got {}",
        t.max_jpeg_usable
    );
    assert!(
        t.max_jpeg_any <= 8,
        "all JPEGs within 8 bits, got {}",
        t.max_jpeg_any
    );
    assert!(
        t.jpeg_exact * 4 >= t.jpeg * 3,
        "most JPEGs exact: {}/{}",
        t.jpeg_exact,
        t.jpeg
    );
}

#[test]
fn dihedral_hashes_of_the_original_match_the_transformed_files() {
    let Some(dir) = data_dir() else {
        eprintln!("SKIPPED: shared/data/pdq not found next to the workspace");
        return;
    };
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
fn float32_luma_as_in_the_cpp_tool_is_also_close() {
    if data_dir().is_none() {
        eprintln!("SKIPPED: shared/data/pdq not found next to the workspace");
        return;
    }
    let t = check(LumaRounding::Float32);
    eprintln!(
        "f32 luma: png {}/{} exact, jpeg {}/{} exact, max jpeg distance {}",
        t.png_exact, t.png, t.jpeg_exact, t.jpeg, t.max_jpeg_any
    );
    assert!(t.max_jpeg_usable <= 4);
}
