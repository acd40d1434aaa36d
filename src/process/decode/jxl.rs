//! JPEG XL input through jxl-oxide (pure Rust): the first keyframe of a
//! still or animated image, turned by the orientation in the JXL header
//! (jxl-oxide applies it), with its ICC profile.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GrayAlphaImage, GrayImage, RgbImage, RgbaImage};
use jxl_oxide::{AllocTracker, JxlImage, JxlThreadPool, PixelFormat};

use super::{DecodeOptions, Decoded, Header, InFormat, check_pixels};
use crate::error::FileError;

const NAME: &str = "JPEG XL";

fn corrupt(e: impl std::fmt::Display) -> FileError {
    let detail = e.to_string();
    if detail.contains("UnexpectedEof") || detail.to_ascii_lowercase().contains("unexpected end") {
        return FileError::Truncated(NAME);
    }
    FileError::Corrupt { format: NAME, detail }
}

/// Parses the header (and ICC profile). One image, one worker: jxl-oxide's
/// own thread pool stays off, and its allocations are capped.
fn open(bytes: &[u8], opts: &DecodeOptions) -> Result<JxlImage, FileError> {
    JxlImage::builder()
        .pool(JxlThreadPool::none())
        .alloc_tracker(AllocTracker::with_limit(super::max_alloc(opts) as usize))
        .read(Cursor::new(bytes))
        .map_err(corrupt)
}

/// Displayed size (orientation applied); nothing left to turn.
pub fn header(bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError> {
    let image = open(bytes, opts)?;
    let size = (image.width(), image.height());
    check_pixels(size, opts)?;
    Ok(Header { size, orientation: Orientation::NoTransforms })
}

/// Decodes the first keyframe to 8 bits per channel.
pub fn decode(bytes: &[u8], opts: &DecodeOptions, admit: &mut super::super::Admit<'_>) -> Result<Decoded, FileError> {
    let image = open(bytes, opts)?;
    let size = (image.width(), image.height());
    check_pixels(size, opts)?;
    if image.num_loaded_keyframes() == 0 {
        return Err(FileError::Truncated(NAME));
    }
    let format = image.pixel_format();
    let channels = format.channels() as u64;
    let pixels = size.0 as u64 * size.1 as u64;
    // jxl-oxide renders into f32 planes (one per channel, plus a frame
    // buffer of the same size) before our 8-bit copy.
    admit(pixels * channels * (4 + 4 + 1))?;
    let render = image.render_frame(0).map_err(corrupt)?;
    let mut stream = render.stream();
    let out_channels = stream.channels() as usize;
    let mut buf = vec![0u8; pixels as usize * out_channels];
    stream.write_to_buffer(&mut buf);
    let (w, h) = (stream.width(), stream.height());
    let bad = || FileError::Corrupt { format: NAME, detail: "short pixel data".into() };
    let image_out = match (format, out_channels) {
        (PixelFormat::Gray, 1) => DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, buf).ok_or_else(bad)?),
        (PixelFormat::Graya, 2) => DynamicImage::ImageLumaA8(GrayAlphaImage::from_raw(w, h, buf).ok_or_else(bad)?),
        (PixelFormat::Rgb, 3) => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, buf).ok_or_else(bad)?),
        (PixelFormat::Rgba, 4) => DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, buf).ok_or_else(bad)?),
        _ => return Err(FileError::Unsupported(format!("{NAME} with {out_channels} channels ({format:?})"))),
    };
    // Pixels come out in the image's own colour space: its embedded profile,
    // or one made from its enumerated encoding unless that is plain sRGB.
    let srgb = image.rendered_cicp().is_some_and(|c| c[0] == 1 && c[1] == 13);
    let icc = match image.original_icc() {
        Some(p) => Some(p.to_vec()),
        None if srgb || format.is_grayscale() => None,
        None => Some(image.rendered_icc()),
    };
    Ok(Decoded {
        image: image_out,
        source_size: size,
        orientation: Orientation::NoTransforms,
        icc,
        format: InFormat::Jxl,
        warning: None,
    })
}
