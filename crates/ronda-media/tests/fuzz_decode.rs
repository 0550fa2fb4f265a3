//! Fuzzing decode + hash with proptest: random, truncated and mutated image bytes must give a
//! hash or an error, never a panic, and never an allocation past the limits.

use std::io::Cursor;

use image::{ImageFormat, RgbImage};
use proptest::prelude::*;
use ronda_media::{DecodeLimits, PdqHasher, decode_rgb, hash_decoded};

/// Small valid images in every supported format, encoded in memory.
fn seeds() -> Vec<Vec<u8>> {
    let image = RgbImage::from_fn(24, 20, |x, y| {
        image::Rgb([(x * 10) as u8, (y * 12) as u8, ((x * y) % 256) as u8])
    });
    let mut out = Vec::new();
    for format in [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Gif,
        ImageFormat::Bmp,
        ImageFormat::WebP,
    ] {
        let mut bytes = Cursor::new(Vec::new());
        let encoded = if format == ImageFormat::Gif || format == ImageFormat::WebP {
            image::DynamicImage::ImageRgb8(image.clone())
                .to_rgba8()
                .write_to(&mut bytes, format)
        } else {
            image.write_to(&mut bytes, format)
        };
        encoded.expect("encode seed");
        out.push(bytes.into_inner());
    }
    out
}

fn limits() -> DecodeLimits {
    DecodeLimits {
        max_bytes: 1 << 20,
        max_dimension: 4096,
        max_pixels: 1 << 20,
        // Small enough that most JPEG seeds also go through libjpeg's scaled decode.
        jpeg_min_side: Some(16),
    }
}

fn decode_and_hash(bytes: &[u8]) {
    if let Ok(image) = decode_rgb(bytes, &limits()) {
        assert_eq!(
            image.rgb.len(),
            image.width as usize * image.height as usize * 3
        );
        let out = hash_decoded(&mut PdqHasher::new(), &image);
        assert!(out.quality <= 100);
    }
}

#[test]
fn every_seed_decodes() {
    for seed in seeds() {
        let image = decode_rgb(&seed, &limits()).expect("seed decodes");
        assert_eq!((image.width, image.height), (24, 20));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_and_hash(&bytes);
    }

    #[test]
    fn truncated_seeds(which in 0usize..5, cut in 0.0f64..1.0) {
        let seed = &seeds()[which];
        let len = (seed.len() as f64 * cut) as usize;
        decode_and_hash(&seed[..len]);
    }

    #[test]
    fn mutated_seeds(
        which in 0usize..5,
        edits in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 1..8),
    ) {
        let mut bytes = seeds()[which].clone();
        for (position, value) in edits {
            let index = ((bytes.len() as f64 * position) as usize).min(bytes.len() - 1);
            bytes[index] = value;
        }
        decode_and_hash(&bytes);
    }
}
