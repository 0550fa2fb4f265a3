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

use std::io::Cursor;

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
}

impl Default for DecodeLimits {
    /// 64 MiB of input, 16384 pixels a side, 64 megapixels: a phone's full-resolution photo fits,
    /// a 1 KB PNG that claims to be 100k × 100k does not.
    fn default() -> Self {
        DecodeLimits {
            max_bytes: 64 << 20,
            max_dimension: 16_384,
            max_pixels: 64_000_000,
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

/// Decodes bytes to RGB within the given limits.
pub fn decode_rgb(bytes: &[u8], limits: &DecodeLimits) -> Result<DecodedImage, DecodeError> {
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
