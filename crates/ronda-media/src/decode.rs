//! Bounded image decoding: bytes in, 8-bit RGB out, with limits against decompression bombs.
//!
//! Formats: JPEG, PNG, WebP, GIF (first frame) and BMP, detected from the content, never from a
//! file name. Every failure — truncated data, an unknown format, a limit exceeded — is an
//! [`DecodeError`], never a panic.
//!
//! Colour handling follows what produced the PDQ reference vectors (Pillow's
//! `Image.open(..).convert("RGB")`): alpha is dropped (not composited), grey is replicated to
//! R = G = B, palette images are expanded, 16-bit samples are scaled to 8 bits.
//!
//! **EXIF orientation is not applied.** Pillow's `open` does not apply it and neither does the
//! reference C++ tool's CImg loader, so hashes of rotated-by-metadata JPEGs match what other
//! PDQ users compute and exchange. The orientation tag is reported in [`DecodedImage::orientation`]
//! for callers that want to know; the dihedral hashes cover re-posts that were really rotated.
//!
//! **JPEG goes through libjpeg-turbo's decoder** (the `mozjpeg` crate, a fork of libjpeg-turbo,
//! compiled from C), set up as Pillow sets it up: `JDCT_ISLOW` inverse DCT, fancy upsampling,
//! output RGB. Its pixels are identical to Pillow 13's on every reference JPEG, so their hashes
//! are too. libjpeg reports fatal errors by unwinding out of its error handler; [`decode_jpeg`]
//! catches that and returns [`DecodeError::Malformed`]. CMYK and YCCK JPEGs, which libjpeg does
//! not convert to RGB, and every other format go through the `image` crate.
//!
//! **Large JPEGs may be scaled while decoding** ([`DecodeLimits::jpeg_min_side`]): libjpeg's
//! DCT-domain scaling by 1/2, 1/4 or 1/8 never builds the full-size image, so a 8000 × 8000 photo
//! costs the memory of a 1000 × 1000 one. PDQ averages the image down to 64 × 64 anyway; a
//! shorter side of at least 1024 pixels keeps the hash within a few bits of the full-size one
//! (the test in `tests/reference_vectors.rs` measures it). Off by default: without it, every
//! hash is bit-exact with the reference tools'. The other codecs cannot scale while decoding;
//! their memory is bounded by the pixel limits and, in the service, by a shared budget.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

/// Limits applied before and during decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width or height, in pixels.
    pub max_dimension: u32,
    /// Largest accepted width × height.
    pub max_pixels: u64,
    /// Scale JPEGs down while decoding (by 1/2, 1/4 or 1/8) as far as their shorter side stays at
    /// least this many pixels; `None`: always full size (bit-exact hashes).
    pub jpeg_min_side: Option<u32>,
}

impl Default for DecodeLimits {
    /// 64 MiB of input, 16384 pixels a side, 64 megapixels: a phone's full-resolution photo fits,
    /// a 1 KB PNG that claims to be 100k × 100k does not.
    fn default() -> Self {
        DecodeLimits {
            max_bytes: 64 << 20,
            max_dimension: 16_384,
            max_pixels: 64_000_000,
            jpeg_min_side: None,
        }
    }
}

/// A decoded image as packed 8-bit RGB, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    pub width: u32,
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
    pub format: MediaFormat,
    /// The EXIF orientation tag (1..=8) when the file has one; informational, not applied.
    pub orientation: Option<u8>,
}

/// The supported container formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
    Bmp,
}

impl MediaFormat {
    /// Lowercase short name (`jpeg`, `png`, ...).
    pub fn name(self) -> &'static str {
        match self {
            MediaFormat::Jpeg => "jpeg",
            MediaFormat::Png => "png",
            MediaFormat::Webp => "webp",
            MediaFormat::Gif => "gif",
            MediaFormat::Bmp => "bmp",
        }
    }

    fn from_image(format: ImageFormat) -> Option<MediaFormat> {
        Some(match format {
            ImageFormat::Jpeg => MediaFormat::Jpeg,
            ImageFormat::Png => MediaFormat::Png,
            ImageFormat::WebP => MediaFormat::Webp,
            ImageFormat::Gif => MediaFormat::Gif,
            ImageFormat::Bmp => MediaFormat::Bmp,
            _ => return None,
        })
    }
}

/// Why bytes could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("input is empty")]
    Empty,
    #[error("input is {size} bytes, over the limit of {limit}")]
    TooManyBytes { size: usize, limit: usize },
    #[error("not a supported image (JPEG, PNG, WebP, GIF, BMP)")]
    UnknownFormat,
    #[error("image is {width}x{height}, over the limit of {limit} pixels a side")]
    DimensionTooLarge { width: u32, height: u32, limit: u32 },
    #[error("image is {width}x{height} = {pixels} pixels, over the limit of {limit}")]
    TooManyPixels {
        width: u32,
        height: u32,
        pixels: u64,
        limit: u64,
    },
    #[error("image has zero width or height")]
    ZeroSize,
    #[error("could not decode {format} image: {message}")]
    Malformed {
        format: &'static str,
        message: String,
    },
}

/// The input checks every read starts with: not empty, within the byte limit, a known format.
fn sniff(bytes: &[u8], limits: &DecodeLimits) -> Result<(ImageFormat, MediaFormat), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooManyBytes {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let image_format = image::guess_format(bytes).map_err(|_| DecodeError::UnknownFormat)?;
    let format = MediaFormat::from_image(image_format).ok_or(DecodeError::UnknownFormat)?;
    Ok((image_format, format))
}

/// The numerator `n` (of `n/8`) libjpeg should scale a `width` × `height` JPEG by so that its
/// shorter side stays at least `min_side`: 8 (full size), 4, 2 or 1. libjpeg rounds scaled
/// sizes up, so `ceil(side × n / 8) ≥ min_side` is what is checked.
pub fn jpeg_scale(width: u32, height: u32, min_side: u32) -> u8 {
    let short = u64::from(width.min(height));
    [1_u8, 2, 4]
        .into_iter()
        .find(|&n| (short * u64::from(n)).div_ceil(8) >= u64::from(min_side))
        .unwrap_or(8)
}

/// The size a decode within `limits` produces, read from the header without decoding pixels
/// (for budgeting memory before a decode): the declared size, or a JPEG's scaled size when
/// [`DecodeLimits::jpeg_min_side`] applies. Errors as [`decode_rgb`] would give them.
pub fn probe_decoded_size(bytes: &[u8], limits: &DecodeLimits) -> Result<(u32, u32), DecodeError> {
    let (width, height) = probe_dimensions(bytes, limits)?;
    let (_, format) = sniff(bytes, limits)?;
    match (format, limits.jpeg_min_side) {
        (MediaFormat::Jpeg, Some(min_side)) if !jpeg_is_cmyk(bytes) => {
            let n = u32::from(jpeg_scale(width, height, min_side));
            Ok(((width * n).div_ceil(8), (height * n).div_ceil(8)))
        }
        _ => Ok((width, height)),
    }
}

/// Whether a JPEG's header declares CMYK or YCCK (decoded at full size by the `image` crate).
fn jpeg_is_cmyk(bytes: &[u8]) -> bool {
    catch_unwind(AssertUnwindSafe(|| {
        mozjpeg::Decompress::builder()
            .from_mem(bytes)
            .is_ok_and(|h| {
                matches!(
                    h.color_space(),
                    mozjpeg::ColorSpace::JCS_CMYK | mozjpeg::ColorSpace::JCS_YCCK
                )
            })
    }))
    .unwrap_or(false)
}

/// The width and height an image's header declares, read without decoding its pixels. Errors
/// as [`decode_rgb`] would give them.
pub fn probe_dimensions(bytes: &[u8], limits: &DecodeLimits) -> Result<(u32, u32), DecodeError> {
    let (image_format, format) = sniff(bytes, limits)?;
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), image_format)
        .into_dimensions()
        .map_err(|error| DecodeError::Malformed {
            format: format.name(),
            message: error.to_string(),
        })?;
    check_size(width, height, limits)?;
    Ok((width, height))
}

/// Decodes bytes to RGB within the given limits.
pub fn decode_rgb(bytes: &[u8], limits: &DecodeLimits) -> Result<DecodedImage, DecodeError> {
    let (image_format, format) = sniff(bytes, limits)?;
    if format == MediaFormat::Jpeg
        && let Some((width, height, rgb)) = decode_jpeg(bytes, limits)?
    {
        return Ok(DecodedImage {
            width,
            height,
            rgb,
            format,
            orientation: jpeg_orientation(bytes, limits),
        });
    }
    let malformed = |error: image::ImageError| DecodeError::Malformed {
        format: format.name(),
        message: error.to_string(),
    };

    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_dimension);
    decoder_limits.max_image_height = Some(limits.max_dimension);
    // Room for the decoded image at 16 bits × 4 channels plus the decoder's own buffers.
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(decoder_limits);

    let mut decoder = reader.into_decoder().map_err(|error| match error {
        image::ImageError::Limits(_) => DecodeError::DimensionTooLarge {
            width: 0,
            height: 0,
            limit: limits.max_dimension,
        },
        other => malformed(other),
    })?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, limits)?;
    let orientation = decoder
        .orientation()
        .ok()
        .map(|o| o.to_exif())
        .filter(|&tag| tag != 1);
    let image = DynamicImage::from_decoder(decoder).map_err(malformed)?;
    let rgb = match image {
        DynamicImage::ImageRgb8(buffer) => buffer.into_raw(),
        other => other.to_rgb8().into_raw(),
    };
    Ok(DecodedImage {
        width,
        height,
        rgb,
        format,
        orientation,
    })
}

/// Refuses a zero or over-limit size; called on the header's dimensions, before decompressing.
fn check_size(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::ZeroSize);
    }
    if width > limits.max_dimension || height > limits.max_dimension {
        return Err(DecodeError::DimensionTooLarge {
            width,
            height,
            limit: limits.max_dimension,
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(DecodeError::TooManyPixels {
            width,
            height,
            pixels,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

/// Decodes a JPEG with libjpeg-turbo's code, as Pillow does: `(width, height, rgb)`, or `None`
/// for a CMYK/YCCK JPEG (libjpeg has no conversion from those to RGB; the caller falls back to
/// the `image` crate, as before).
///
/// The header is read and its size checked against `limits` before `jpeg_start_decompress`
/// allocates anything in proportion to the image. libjpeg's fatal errors (corrupt markers,
/// unsupported features) arrive as an unwind from `mozjpeg`'s error handler, without running the
/// panic hook; it is caught here and becomes [`DecodeError::Malformed`]. Data that ends early is
/// not fatal to libjpeg: it warns and fills the missing rows, as it does for any libjpeg user.
fn decode_jpeg(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<Option<(u32, u32, Vec<u8>)>, DecodeError> {
    let malformed = |message: String| DecodeError::Malformed {
        format: MediaFormat::Jpeg.name(),
        message,
    };
    let io_error = |error: std::io::Error| malformed(error.to_string());
    let run = || -> Result<Option<(u32, u32, Vec<u8>)>, DecodeError> {
        let mut header = mozjpeg::Decompress::builder()
            .from_mem(bytes)
            .map_err(io_error)?;
        let (width, height) = header.size();
        let too_large = || DecodeError::DimensionTooLarge {
            width: u32::try_from(width).unwrap_or(u32::MAX),
            height: u32::try_from(height).unwrap_or(u32::MAX),
            limit: limits.max_dimension,
        };
        let width = u32::try_from(width).map_err(|_| too_large())?;
        let height = u32::try_from(height).map_err(|_| too_large())?;
        check_size(width, height, limits)?;
        if matches!(
            header.color_space(),
            mozjpeg::ColorSpace::JCS_CMYK | mozjpeg::ColorSpace::JCS_YCCK
        ) {
            return Ok(None);
        }
        // libjpeg's defaults, and Pillow's: slow-but-accurate integer IDCT, fancy upsampling.
        header.dct_method(mozjpeg::DctMethod::IntegerSlow);
        header.do_fancy_upsampling(true);
        if let Some(min_side) = limits.jpeg_min_side {
            header.scale(jpeg_scale(width, height, min_side));
        }
        let mut started = header.rgb().map_err(io_error)?;
        let out = |side: usize| u32::try_from(side).map_err(|_| too_large());
        let (width, height) = (out(started.width())?, out(started.height())?);
        let rgb: Vec<u8> = started.read_scanlines().map_err(io_error)?;
        started.finish().map_err(io_error)?;
        let expected = width as usize * height as usize * 3;
        if rgb.len() != expected {
            return Err(malformed(format!(
                "decoder returned {} bytes for {width}x{height} RGB",
                rgb.len()
            )));
        }
        Ok(Some((width, height, rgb)))
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("libjpeg fatal error");
            Err(malformed(message.to_string()))
        }
    }
}

/// The EXIF orientation of a JPEG that libjpeg decoded, read from its header by the `image`
/// crate exactly as for the other formats; `None` when absent, 1, or unreadable.
fn jpeg_orientation(bytes: &[u8], limits: &DecodeLimits) -> Option<u8> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_dimension);
    decoder_limits.max_image_height = Some(limits.max_dimension);
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().ok()?;
    decoder
        .orientation()
        .ok()
        .map(|o| o.to_exif())
        .filter(|&tag| tag != 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 3) as u8, (y * 5) as u8, ((x + y) * 7) as u8])
        });
        let mut out = Cursor::new(Vec::new());
        image
            .write_to(&mut out, ImageFormat::Png)
            .expect("encode png");
        out.into_inner()
    }

    #[test]
    fn decodes_png_to_rgb() {
        let bytes = png_bytes(20, 10);
        let decoded = decode_rgb(&bytes, &DecodeLimits::default()).expect("decodes");
        assert_eq!((decoded.width, decoded.height), (20, 10));
        assert_eq!(decoded.format, MediaFormat::Png);
        assert_eq!(decoded.rgb.len(), 20 * 10 * 3);
        assert_eq!(&decoded.rgb[3..6], &[3, 0, 7]);
        assert_eq!(decoded.orientation, None);
    }

    #[test]
    fn rejects_empty_unknown_and_truncated() {
        let limits = DecodeLimits::default();
        assert!(matches!(decode_rgb(b"", &limits), Err(DecodeError::Empty)));
        assert!(matches!(
            decode_rgb(b"hello, this is text", &limits),
            Err(DecodeError::UnknownFormat)
        ));
        let bytes = png_bytes(64, 64);
        let truncated = &bytes[..bytes.len() / 2];
        assert!(matches!(
            decode_rgb(truncated, &limits),
            Err(DecodeError::Malformed { format: "png", .. })
        ));
    }

    #[test]
    fn enforces_byte_dimension_and_pixel_limits() {
        let bytes = png_bytes(40, 30);
        let small_bytes = DecodeLimits {
            max_bytes: 10,
            ..DecodeLimits::default()
        };
        assert!(matches!(
            decode_rgb(&bytes, &small_bytes),
            Err(DecodeError::TooManyBytes { .. })
        ));
        let small_side = DecodeLimits {
            max_dimension: 32,
            ..DecodeLimits::default()
        };
        assert!(matches!(
            decode_rgb(&bytes, &small_side),
            Err(DecodeError::DimensionTooLarge { .. })
        ));
        let few_pixels = DecodeLimits {
            max_pixels: 1000,
            ..DecodeLimits::default()
        };
        assert!(matches!(
            decode_rgb(&bytes, &few_pixels),
            Err(DecodeError::TooManyPixels { pixels: 1200, .. })
        ));
    }

    #[test]
    fn exif_orientation_is_reported_but_not_applied() {
        let image = image::RgbImage::from_fn(30, 10, |x, _| image::Rgb([(x * 8) as u8, 0, 0]));
        let mut jpeg = Cursor::new(Vec::new());
        image
            .write_to(&mut jpeg, ImageFormat::Jpeg)
            .expect("encode jpeg");
        let jpeg = jpeg.into_inner();
        // APP1 "Exif" with a little-endian TIFF IFD holding Orientation (0x0112) = 6.
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"II*\0");
        tiff.extend_from_slice(&8u32.to_le_bytes());
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&[6, 0, 0, 0]);
        tiff.extend_from_slice(&0u32.to_le_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut bytes = jpeg[..2].to_vec();
        bytes.extend_from_slice(&[0xff, 0xe1]);
        bytes.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        bytes.extend_from_slice(&app1);
        bytes.extend_from_slice(&jpeg[2..]);

        let decoded = decode_rgb(&bytes, &DecodeLimits::default()).expect("decodes");
        assert_eq!(decoded.orientation, Some(6));
        // Not rotated: still 30 wide, as Pillow's plain decode (and the reference vectors) has it.
        assert_eq!((decoded.width, decoded.height), (30, 10));
    }

    fn jpeg_bytes(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 9) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8])
        });
        let mut out = Cursor::new(Vec::new());
        image
            .write_to(&mut out, ImageFormat::Jpeg)
            .expect("encode jpeg");
        out.into_inner()
    }

    /// Offset of the first SOFn segment's precision byte (after FFCx and the 2-byte length).
    fn sof_offset(bytes: &[u8]) -> usize {
        bytes
            .windows(2)
            .position(|w| w[0] == 0xff && matches!(w[1], 0xc0..=0xc2))
            .expect("SOF marker")
            + 4
    }

    #[test]
    fn decodes_jpeg_with_libjpeg() {
        let bytes = jpeg_bytes(37, 23);
        let decoded = decode_rgb(&bytes, &DecodeLimits::default()).expect("decodes");
        assert_eq!((decoded.width, decoded.height), (37, 23));
        assert_eq!(decoded.format, MediaFormat::Jpeg);
        assert_eq!(decoded.rgb.len(), 37 * 23 * 3);
        assert_eq!(decoded.orientation, None);
    }

    #[test]
    fn libjpeg_fatal_errors_become_malformed() {
        // Sample precision 7: libjpeg's error handler fires inside jpeg_read_header.
        let mut bytes = jpeg_bytes(16, 16);
        let sof = sof_offset(&bytes);
        bytes[sof] = 7;
        let result = decode_rgb(&bytes, &DecodeLimits::default());
        assert!(
            matches!(&result, Err(DecodeError::Malformed { format: "jpeg", message }) if message.contains("precision")),
            "{result:?}"
        );
        // Only the JPEG signature, then garbage.
        let result = decode_rgb(b"\xff\xd8\xff\x00garbage", &DecodeLimits::default());
        assert!(
            matches!(result, Err(DecodeError::Malformed { format: "jpeg", .. })),
            "{result:?}"
        );
    }

    #[test]
    fn every_truncation_of_a_jpeg_decodes_or_fails_cleanly() {
        let bytes = jpeg_bytes(40, 24);
        for len in 0..bytes.len() {
            if let Ok(decoded) = decode_rgb(&bytes[..len], &DecodeLimits::default()) {
                assert_eq!((decoded.width, decoded.height), (40, 24), "cut at {len}");
                assert_eq!(decoded.rgb.len(), 40 * 24 * 3);
            }
        }
    }

    #[test]
    fn jpeg_header_claiming_huge_size_is_refused_before_allocating() {
        let mut bytes = jpeg_bytes(16, 16);
        let sof = sof_offset(&bytes);
        // Height then width, big-endian, after the precision byte: 60000 × 60000.
        bytes[sof + 1..sof + 3].copy_from_slice(&60_000u16.to_be_bytes());
        bytes[sof + 3..sof + 5].copy_from_slice(&60_000u16.to_be_bytes());
        assert!(matches!(
            decode_rgb(&bytes, &DecodeLimits::default()),
            Err(DecodeError::DimensionTooLarge {
                width: 60_000,
                height: 60_000,
                ..
            })
        ));
        let few_pixels = DecodeLimits {
            max_pixels: 100,
            ..DecodeLimits::default()
        };
        assert!(matches!(
            decode_rgb(&jpeg_bytes(16, 16), &few_pixels),
            Err(DecodeError::TooManyPixels { pixels: 256, .. })
        ));
    }

    #[test]
    fn cmyk_jpeg_falls_back_to_the_image_crate() {
        // Written by Pillow (`convert("CMYK").save(...)`, Adobe-inverted); libjpeg cannot output
        // RGB from CMYK, so the `image` crate decodes it.
        let bytes = include_bytes!("../tests/data/cmyk-16x16.jpg");
        let decoded = decode_rgb(bytes, &DecodeLimits::default()).expect("decodes");
        assert_eq!((decoded.width, decoded.height), (16, 16));
        assert_eq!(decoded.format, MediaFormat::Jpeg);
        assert_eq!(decoded.rgb.len(), 16 * 16 * 3);
    }

    #[test]
    fn header_claiming_huge_size_is_refused_before_allocating() {
        // A PNG header announcing 100000 × 100000 pixels with no data behind it.
        let mut bytes = png_bytes(8, 8);
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let result = decode_rgb(&bytes, &DecodeLimits::default());
        assert!(result.is_err(), "{result:?}");
    }
}
