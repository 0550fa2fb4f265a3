//! Pure image engine: PDQ hashing, bounded decoding, digests, hash-bank lists and an exact
//! Hamming radius index. No IO: bytes in, values out; the CLI and the service do the IO.
//!
//! - [`pdq`]: the PDQ perceptual hash, bit-exact with the reference C++.
//! - [`decode`]: JPEG/PNG/WebP/GIF/BMP to RGB with limits against decompression bombs.
//! - [`digest`]: MD5 and SHA-256 of raw bytes.
//! - [`bank`]: hash-bank metadata, hash-list parsing and serialising, allowlist semantics.
//! - [`index`]: exact radius search over 256-bit hashes (multi-index hashing).

pub mod bank;
pub mod decode;
pub mod digest;
pub mod index;
pub mod pdq;

pub use decode::{DecodeError, DecodeLimits, DecodedImage, MediaFormat, decode_rgb};
pub use index::{HashIndex, IndexMatch};
pub use pdq::{Dihedral, DihedralOutput, PdqHash, PdqHasher, PdqOutput};

/// Decodes image bytes within `limits` and computes their PDQ hash and quality.
pub fn pdq_from_bytes(bytes: &[u8], limits: &DecodeLimits) -> Result<PdqOutput, DecodeError> {
    let image = decode_rgb(bytes, limits)?;
    Ok(hash_decoded(&mut PdqHasher::new(), &image))
}

/// PDQ of an already decoded image with a reusable hasher.
pub fn hash_decoded(hasher: &mut PdqHasher, image: &DecodedImage) -> PdqOutput {
    hasher
        .hash_rgb(&image.rgb, image.width as usize, image.height as usize)
        // A DecodedImage always holds width × height × 3 bytes.
        .unwrap_or(PdqOutput {
            hash: PdqHash::ZERO,
            quality: 0,
        })
}

/// The eight dihedral PDQ hashes of an already decoded image.
pub fn dihedral_decoded(hasher: &mut PdqHasher, image: &DecodedImage) -> DihedralOutput {
    hasher
        .dihedral_rgb(&image.rgb, image.width as usize, image.height as usize)
        .unwrap_or(DihedralOutput {
            hashes: [PdqHash::ZERO; 8],
            quality: 0,
        })
}
