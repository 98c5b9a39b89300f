//! Checking and normalising uploaded images before they are stored. Policy: the format is read
//! from the content (magic bytes), never from a file name; only PNG, JPEG, WebP and GIF (its
//! first frame) are accepted; the declared size is checked before any pixel is decoded; the
//! image is always re-encoded (PNG if it has transparency, JPEG otherwise), which drops every
//! piece of metadata (EXIF, GPS, comments) and anything hidden after the image data.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Images whose declared width × height exceed this are refused before decoding (24 MP: a
/// phone's photo, and at most ~100 MB once decoded — not a decompression bomb).
pub const MAX_PIXELS: u64 = 24_000_000;
/// Neither side may exceed this, whatever the other.
pub const MAX_DIMENSION: u32 = 16_384;
/// Memory the decoder may allocate.
const MAX_ALLOC: u64 = 128 * 1024 * 1024;
const JPEG_QUALITY: u8 = 85;

/// Why an upload was refused; each message is meant for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("the file is too large (at most {max_bytes} bytes)")]
    TooLarge { max_bytes: usize },
    #[error("the file is not an image")]
    NotAnImage,
    #[error("this kind of image is not accepted: use PNG, JPEG, WebP or GIF")]
    Unsupported,
    #[error("the image has too many pixels")]
    TooManyPixels,
    #[error("the image is damaged and cannot be read")]
    Corrupt,
}

/// A re-encoded image, ready for `MediaStore::put`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedImage {
    pub bytes: Vec<u8>,
    /// `png` or `jpg`.
    pub ext: &'static str,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Checks `bytes` (at most `max_bytes` long), scales the image down to fit a `max_side` square
/// (keeping its proportions; smaller images keep their size), turns it upright according to its
/// EXIF orientation, and re-encodes it.
pub fn process_image(bytes: &[u8], max_side: u32, max_bytes: usize) -> Result<ProcessedImage, ImageError> {
    if bytes.len() > max_bytes {
        return Err(ImageError::TooLarge { max_bytes });
    }
    let format = image::guess_format(bytes).map_err(|_| ImageError::NotAnImage)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif) {
        return Err(ImageError::Unsupported);
    }

    // Only the header is read here: a 100 000 × 100 000 PNG of a few bytes stops now.
    let (w, h) =
        ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(|_| ImageError::Corrupt)?;
    if w == 0 || h == 0 {
        return Err(ImageError::Corrupt);
    }
    if w > MAX_DIMENSION || h > MAX_DIMENSION || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels);
    }

    // The decoder enforces the same bounds itself, in case the header lied.
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let orientation = decoder.orientation().map_err(decode_error)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    img.apply_orientation(orientation);

    if img.width() > max_side || img.height() > max_side {
        img = img.resize(max_side, max_side, FilterType::CatmullRom);
    }

    let mut out = Vec::new();
    let (ext, content_type) = if img.color().has_alpha() {
        img.to_rgba8().write_with_encoder(PngEncoder::new(&mut out)).map_err(|_| ImageError::Corrupt)?;
        ("png", "image/png")
    } else {
        img.to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
            .map_err(|_| ImageError::Corrupt)?;
        ("jpg", "image/jpeg")
    };
    Ok(ProcessedImage { bytes: out, ext, content_type, width: img.width(), height: img.height() })
}

fn decode_error(e: image::ImageError) -> ImageError {
    match e {
        image::ImageError::Limits(_) => ImageError::TooManyPixels,
        image::ImageError::Unsupported(_) => ImageError::Unsupported,
        _ => ImageError::Corrupt,
    }
}

#[cfg(test)]
mod tests {
    use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    const MB: usize = 1_000_000;

    fn png(w: u32, h: u32, alpha: u8) -> Vec<u8> {
        let img = RgbaImage::from_fn(w, h, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 90, alpha]));
        let mut out = Vec::new();
        PngEncoder::new(&mut out).write_image(&img, w, h, image::ExtendedColorType::Rgba8).unwrap();
        out
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 200]));
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90).write_image(&img, w, h, image::ExtendedColorType::Rgb8).unwrap();
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_transparent_png_stays_a_png_and_is_scaled_down_keeping_its_proportions() {
        let out = process_image(&png(400, 200, 128), 100, MB).unwrap();
        assert_eq!((out.ext, out.content_type, out.width, out.height), ("png", "image/png", 100, 50));
        assert_eq!(image::guess_format(&out.bytes).unwrap(), ImageFormat::Png);
        let back = image::load_from_memory(&out.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (100, 50));
    }

    #[test]
    fn an_image_without_alpha_becomes_a_jpeg_and_a_small_one_keeps_its_size() {
        // An RGBA PNG keeps its alpha channel even when every pixel is opaque: it stays PNG.
        assert_eq!(process_image(&png(30, 20, 255), 100, MB).unwrap().ext, "png");
        let mut rgb_png = Vec::new();
        PngEncoder::new(&mut rgb_png)
            .write_image(&RgbImage::new(30, 20), 30, 20, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert_eq!(process_image(&rgb_png, 100, MB).unwrap().ext, "jpg");
        let out = process_image(&jpeg(300, 600), 150, MB).unwrap();
        assert_eq!((out.ext, out.content_type, out.width, out.height), ("jpg", "image/jpeg", 75, 150));
        assert_eq!(image::guess_format(&out.bytes).unwrap(), ImageFormat::Jpeg);
        let out = process_image(&jpeg(40, 20), 150, MB).unwrap();
        assert_eq!((out.width, out.height), (40, 20));
    }

    #[test]
    fn a_gif_is_accepted_through_its_first_frame() {
        let mut out = Vec::new();
        {
            let mut enc = image::codecs::gif::GifEncoder::new(&mut out);
            let frame = |c: u8| image::Frame::new(RgbaImage::from_pixel(8, 4, Rgba([c, c, c, 255])));
            enc.encode_frames([frame(10), frame(240)]).unwrap();
        }
        let got = process_image(&out, 100, MB).unwrap();
        assert_eq!((got.width, got.height), (8, 4));
        let back = image::load_from_memory(&got.bytes).unwrap().to_rgba8();
        assert!(back.get_pixel(0, 0).0[0] < 40, "the first frame, not the second");
    }

    #[test]
    fn svg_and_html_are_refused_as_not_images() {
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#;
        assert_eq!(process_image(svg, 100, MB), Err(ImageError::NotAnImage));
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>"#;
        assert_eq!(process_image(svg, 100, MB), Err(ImageError::NotAnImage));
        let html = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>";
        assert_eq!(process_image(html, 100, MB), Err(ImageError::NotAnImage));
        assert_eq!(process_image(b"", 100, MB), Err(ImageError::NotAnImage));
    }

    #[test]
    fn a_known_format_outside_the_list_is_unsupported() {
        // A BMP header: recognised by its magic bytes, but not accepted.
        let bmp = b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0\0\0\x01\0\0\0\x01\0\x18\0";
        assert_eq!(process_image(bmp, 100, MB), Err(ImageError::Unsupported));
    }

    #[test]
    fn a_png_claiming_100000_by_100000_pixels_is_refused_before_decoding() {
        let mut bomb = png(1, 1, 255);
        // Signature (8) + IHDR length (4) + "IHDR" (4), then width and height, then the CRC of
        // the chunk type and data (13 bytes) at 29.
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let dims = ImageReader::with_format(Cursor::new(&bomb), ImageFormat::Png).into_dimensions().unwrap();
        assert_eq!(dims, (100_000, 100_000), "the crafted header is valid");
        assert_eq!(process_image(&bomb, 100, MB), Err(ImageError::TooManyPixels));

        // Within each side's bound but over the pixel budget: 40 MP (~160 MB decoded) is refused,
        // as is anything past 24 MP; 20 MP goes on to decoding (this one is only a header).
        for (w, h, refused) in
            [(10_000u32, 10_000u32, true), (8_000, 5_000, true), (5_000, 5_000, true), (5_000, 4_000, false)]
        {
            bomb[16..20].copy_from_slice(&w.to_be_bytes());
            bomb[20..24].copy_from_slice(&h.to_be_bytes());
            let crc = crc32(&bomb[12..29]);
            bomb[29..33].copy_from_slice(&crc.to_be_bytes());
            let r = process_image(&bomb, 100, MB);
            assert_eq!(r == Err(ImageError::TooManyPixels), refused, "{w}×{h}: {r:?}");
        }
    }

    #[test]
    fn exif_and_gps_data_do_not_survive() {
        let plain = jpeg(64, 48);
        // A little-endian TIFF block: one IFD with Orientation = 1, then a recognisable payload.
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(b"GPS 48.8566N 2.3522E secret");
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut with_exif = plain[..2].to_vec();
        with_exif.extend_from_slice(&[0xFF, 0xE1]);
        with_exif.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
        with_exif.extend_from_slice(&app1);
        with_exif.extend_from_slice(&plain[2..]);
        assert!(contains(&with_exif, b"Exif\0\0"));
        assert!(image::load_from_memory(&with_exif).is_ok(), "the crafted JPEG is valid");

        let out = process_image(&with_exif, 100, MB).unwrap();
        assert_eq!(out.ext, "jpg");
        assert!(!contains(&out.bytes, b"Exif"), "no EXIF marker left");
        assert!(!contains(&out.bytes, b"secret"));
        assert!(!out.bytes.windows(2).any(|w| w == [0xFF, 0xE1]), "no APP1 segment left");
    }

    #[test]
    fn bytes_after_the_image_are_dropped() {
        let mut polyglot = png(10, 10, 200);
        polyglot.extend_from_slice(b"<script>alert(1)</script>");
        let out = process_image(&polyglot, 100, MB).unwrap();
        assert!(!contains(&out.bytes, b"<script>"));
    }

    #[test]
    fn a_too_large_input_is_refused_before_anything_else() {
        let big = png(50, 50, 255);
        assert_eq!(process_image(&big, 100, big.len() - 1), Err(ImageError::TooLarge { max_bytes: big.len() - 1 }));
        assert!(process_image(&big, 100, big.len()).is_ok());
        assert_eq!(process_image(b"<svg/>", 100, 3), Err(ImageError::TooLarge { max_bytes: 3 }));
    }

    #[test]
    fn a_truncated_image_is_corrupt() {
        let whole = jpeg(64, 64);
        assert_eq!(process_image(&whole[..40], 100, MB), Err(ImageError::Corrupt));
        let whole = png(64, 64, 255);
        assert_eq!(process_image(&whole[..60], 100, MB), Err(ImageError::Corrupt));
    }
}
