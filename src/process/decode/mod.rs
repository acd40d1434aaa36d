//! Bytes → pixels: content sniffing, header checks before any pixel buffer is
//! allocated, the decode itself, EXIF orientation and the ICC profile. One
//! module per family beside this one (JPEG XL, HEIF, camera RAW); JPEG, PNG,
//! WebP, GIF, BMP and TIFF go through `image` here.

mod classify;
mod gif;
#[cfg(feature = "heif")]
mod heif;
mod jpeg;
mod jxl;
mod png;
mod png_shrink;
pub mod raw;
#[cfg(feature = "jpeg-turbo")]
pub mod turbo;

use std::borrow::Cow;
use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::error::FileError;
pub use crate::format::{HEAD_LEN, HeifKind, InFormat, RawKind, sniff};
pub use crate::job::RawMode;
use crate::read::Input;

/// Limits that apply to every decode.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct DecodeOptions {
    /// Largest accepted width × height, checked from the header.
    pub max_pixels: u64,
    /// Keep what decodes of a truncated file instead of failing it.
    pub allow_truncated: bool,
    /// Camera RAW: embedded preview when big enough, or always the raw data.
    pub raw: RawMode,
}

/// The largest ICC profile read or written. Real profiles are under 1 MB
/// (most are a few KB); anything larger is a metadata bomb, dropped with a
/// warning so that it neither fills memory nor reaches an output.
pub const MAX_ICC: usize = 4 << 20;

/// Tells the decoder how far it may shrink on load: given the stored size
/// and whether the orientation swaps the axes, a factor of 1, 2, 4 or 8.
pub type Shrink<'a> = dyn Fn((u32, u32), bool) -> u32 + 'a;

/// Tells a decoder that can choose between sizes (a RAW's embedded
/// previews) whether an image of this stored size, with the axes swapped
/// or not by its orientation, makes every output without enlarging.
pub type Enough<'a> = dyn Fn((u32, u32), bool) -> bool + 'a;

/// A decoded image.
pub struct Decoded {
    /// Pixels as stored (orientation not yet applied), smaller than
    /// `source_size` when shrunk on load: 8-bit L, La, Rgb or Rgba, or what
    /// `image` decoded (16-bit, float) for the caller to convert with
    /// [`to_8bit`] once it has used the extra depth.
    pub image: DynamicImage,
    /// Width and height of the file's image, before any shrink-on-load.
    pub source_size: (u32, u32),
    /// Orientation still to apply (EXIF, or a RAW's); formats whose decoder
    /// turns the pixels itself (JPEG XL, HEIF) say none.
    pub orientation: Orientation,
    /// Embedded ICC profile, copied to the output.
    pub icc: Option<Vec<u8>>,
    /// The format found by sniffing the content.
    pub format: InFormat,
    /// Something the user should know although the file decoded.
    pub warning: Option<String>,
}

/// What the header says, without decoding pixels (used by `--dry-run`).
pub struct Header {
    /// Stored width and height.
    pub size: (u32, u32),
    /// Orientation still to apply.
    pub orientation: Orientation,
}

/// The `image` crate's name for the formats it decodes for us.
fn image_format(f: InFormat) -> Option<ImageFormat> {
    Some(match f {
        InFormat::Jpeg => ImageFormat::Jpeg,
        InFormat::Png => ImageFormat::Png,
        InFormat::WebP => ImageFormat::WebP,
        InFormat::Gif => ImageFormat::Gif,
        InFormat::Bmp => ImageFormat::Bmp,
        InFormat::Tiff => ImageFormat::Tiff,
        _ => return None,
    })
}

/// A HEIC or AVIF file in a build without the `heif` feature.
#[cfg(not(feature = "heif"))]
fn no_heif(kind: HeifKind) -> FileError {
    match crate::format::readable(InFormat::Heif(kind)) {
        Err(e) => e,
        Ok(_) => FileError::NotAnImage("unknown format"),
    }
}

/// The format of `bytes`, telling a DNG saved as `.tif` from a plain TIFF.
fn sniff_bytes(bytes: &[u8], extension: Option<&str>) -> Result<InFormat, FileError> {
    match sniff(&bytes[..bytes.len().min(HEAD_LEN)], extension)? {
        InFormat::Tiff if raw::is_dng(bytes) => Ok(InFormat::Raw(RawKind::Dng)),
        f => Ok(f),
    }
}

/// The largest allocation a decoder may make.
fn max_alloc(opts: &DecodeOptions) -> u64 {
    // Room for the largest accepted image at 16-bit RGBA, plus decoder state.
    opts.max_pixels.saturating_mul(8).saturating_add(64 << 20)
}

fn limits(opts: &DecodeOptions) -> Limits {
    let mut l = Limits::default();
    l.max_alloc = Some(max_alloc(opts));
    l
}

pub(crate) fn check_pixels(size: (u32, u32), opts: &DecodeOptions) -> Result<(), FileError> {
    check_held(size, size, opts)
}

/// `--max-pixels` guards what a decode holds in memory: the declared size,
/// or the reduced one when the decoder shrinks as it reads (JPEG's DCT
/// scaling, PNG row by row). The error names the declared size.
pub(crate) fn check_held(declared: (u32, u32), held: (u32, u32), opts: &DecodeOptions) -> Result<(), FileError> {
    let (width, height) = declared;
    if width == 0 || height == 0 {
        return Err(FileError::Corrupt { format: "image", detail: format!("zero size {width}x{height}") });
    }
    if held.0 as u64 * held.1 as u64 > opts.max_pixels {
        return Err(FileError::TooManyPixels { width, height, max: opts.max_pixels });
    }
    Ok(())
}

/// Peak bytes a decode holds, from the size of its output: progressive JPEGs
/// keep every DCT coefficient (2 bytes per sample) until the last scan, and
/// 16-bit or float images are converted to an 8-bit copy.
pub(crate) fn decoder_peak(output: u64, color: image::ColorType, progressive: bool) -> u64 {
    let mut peak = output;
    if progressive {
        peak += 2 * output;
    }
    let channel_bytes = color.bytes_per_pixel() as u64 / color.channel_count().max(1) as u64;
    if channel_bytes > 1 {
        peak += output / channel_bytes;
    }
    peak
}

/// Reads the header only: size and orientation.
pub fn header(bytes: &[u8], extension: Option<&str>, opts: &DecodeOptions) -> Result<Header, FileError> {
    let sniffed = sniff_bytes(bytes, extension)?;
    let format = match sniffed {
        InFormat::Jxl => return jxl::header(bytes, opts),
        #[cfg(feature = "heif")]
        InFormat::Heif(kind) => return heif::header(bytes, kind, opts),
        #[cfg(not(feature = "heif"))]
        InFormat::Heif(kind) => return Err(no_heif(kind)),
        InFormat::Raw(kind) => return raw::header(bytes, kind, opts),
        f => image_format(f).ok_or(FileError::NotAnImage("unknown format"))?,
    };
    let (bytes, _) = without_metadata_bombs(bytes, format);
    let mut reader = ImageReader::with_format(Cursor::new(&bytes[..]), format);
    reader.limits(limits(opts));
    let mut dec = reader.into_decoder().map_err(|e| classify::image_error(e, sniffed, &bytes))?;
    let size = dec.dimensions();
    check_pixels(size, opts)?;
    let orientation = dec.orientation().unwrap_or(Orientation::NoTransforms);
    Ok(Header { size, orientation })
}

/// Metadata bombs cut out of a file the `image` crate is about to open.
fn without_metadata_bombs(bytes: &[u8], format: ImageFormat) -> (Cow<'_, [u8]>, Option<String>) {
    match format {
        ImageFormat::Png => png::without_metadata_bombs(bytes),
        _ => (Cow::Borrowed(bytes), None),
    }
}

/// Adds `more` to the warnings already given.
pub(crate) fn warn(warning: &mut Option<String>, more: String) {
    *warning = Some(match warning.take() {
        Some(w) => format!("{w}; {more}"),
        None => more,
    });
}

/// Decodes a whole file held in memory. `admit` is told the decoder's peak
/// memory, estimated from the header, before any pixel buffer is allocated.
/// A JPEG may come back smaller than stored when `shrink` allows it. An ICC
/// profile larger than [`MAX_ICC`] is dropped with a warning, whatever the format.
pub fn decode(
    bytes: &[u8],
    extension: Option<&str>,
    opts: &DecodeOptions,
    admit: &mut super::Admit<'_>,
    shrink: &Shrink<'_>,
    enough: &Enough<'_>,
) -> Result<Decoded, FileError> {
    decode_any(bytes, extension, opts, admit, shrink, enough).map(without_big_icc)
}

/// An ICC profile larger than [`MAX_ICC`] dropped with a warning.
fn without_big_icc(mut decoded: Decoded) -> Decoded {
    if decoded.icc.as_ref().is_some_and(|p| p.len() > MAX_ICC) {
        decoded.icc = None;
        warn(&mut decoded.warning, format!("ICC profile dropped: larger than {} MiB", MAX_ICC >> 20));
    }
    decoded
}

/// Decodes an input read from its open file as the decode goes, never held
/// whole in memory: a JPEG that libjpeg-turbo shrinks on load, a PNG shrunk
/// row by row. `head` is the file's first bytes. `None` when the file needs
/// its bytes in memory: another format, a full-size JPEG, a PNG
/// that is not shrunk or is interlaced, or whose headers are not all in `head`.
pub fn decode_file(
    input: &Input,
    head: &[u8],
    extension: Option<&str>,
    opts: &DecodeOptions,
    admit: &mut super::Admit<'_>,
    shrink: &Shrink<'_>,
) -> Result<Option<Decoded>, FileError> {
    let decoded = match sniff_bytes(head, extension)? {
        #[cfg(feature = "jpeg-turbo")]
        InFormat::Jpeg => jpeg::decode_file(input, head, opts, admit, shrink)?,
        InFormat::Png if png_shrink::may_shrink(head, shrink) && png::headers_within(head) => {
            let rows = std::io::BufReader::with_capacity(FILE_BUFFER, input.reader());
            png_shrink::decode_from(rows, &mut input.window(), opts, admit, shrink)?
        }
        _ => None,
    };
    Ok(decoded.map(without_big_icc))
}

/// How much of a file a decoder reading it from disk buffers.
const FILE_BUFFER: usize = 64 << 10;

fn decode_any(
    bytes: &[u8],
    extension: Option<&str>,
    opts: &DecodeOptions,
    admit: &mut super::Admit<'_>,
    shrink: &Shrink<'_>,
    enough: &Enough<'_>,
) -> Result<Decoded, FileError> {
    let sniffed = sniff_bytes(bytes, extension)?;
    let format = match sniffed {
        InFormat::Jxl => return jxl::decode(bytes, opts, admit),
        #[cfg(feature = "heif")]
        InFormat::Heif(kind) => return heif::decode(bytes, kind, opts, admit),
        #[cfg(not(feature = "heif"))]
        InFormat::Heif(kind) => return Err(no_heif(kind)),
        InFormat::Raw(kind) => return raw::decode(bytes, kind, opts, admit, enough),
        f => image_format(f).ok_or(FileError::NotAnImage("unknown format"))?,
    };
    if sniffed == InFormat::Jpeg {
        return jpeg::decode(bytes, opts, admit, shrink);
    }
    let mut warning = None;
    let (bytes, dropped) = without_metadata_bombs(bytes, format);
    if let Some(w) = dropped {
        warn(&mut warning, w);
    }
    if format == ImageFormat::Png
        && let Some(mut decoded) = png_shrink::decode(&bytes, opts, admit, shrink)?
    {
        if let Some(w) = warning {
            warn(&mut decoded.warning, w);
        }
        return Ok(decoded);
    }
    let mut reader = ImageReader::with_format(Cursor::new(&bytes[..]), format);
    let mut limits = limits(opts);
    reader.limits(limits.clone());
    let mut dec = reader.into_decoder().map_err(|e| classify::image_error(e, sniffed, &bytes))?;
    check_pixels(dec.dimensions(), opts)?;
    // `into_decoder()` skips the allocation check that `decode()` makes; a
    // 186-byte JPEG declaring 65535x65535 would otherwise allocate 4 GB.
    limits.reserve(dec.total_bytes()).map_err(|_| FileError::DecoderLimit {
        needed_mib: dec.total_bytes() >> 20,
        limit_mib: limits.max_alloc.unwrap_or(0) >> 20,
    })?;
    // Damaged metadata must not block the pixels: treat it as absent.
    let orientation = dec.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = dec.icc_profile().ok().flatten();
    let icc_len = icc.as_ref().map_or(0, |p| p.len() as u64);
    admit(decoder_peak(dec.total_bytes(), dec.color_type(), false) + icc_len)?;
    let image = match DynamicImage::from_decoder(dec).map_err(|e| classify::image_error(e, sniffed, &bytes)) {
        Ok(image) => image,
        // `image` drops the rows it had; read them again ourselves.
        Err(FileError::Truncated("PNG")) if opts.allow_truncated => return png::decode_partial(&bytes, opts, admit),
        Err(FileError::Truncated("GIF")) => {
            return Err(match gif::frame_outside_screen(&bytes) {
                Some(why) => FileError::Corrupt { format: "GIF", detail: format!("{why} and its data ends early") },
                None => FileError::Truncated("GIF"),
            });
        }
        Err(e) => return Err(e),
    };
    let source_size = (image.width(), image.height());
    Ok(Decoded { image, source_size, orientation, icc, format: sniffed, warning })
}

/// Everything downstream works on 8-bit L, La, Rgb or Rgba.
pub fn to_8bit(image: DynamicImage) -> DynamicImage {
    use DynamicImage as D;
    match image {
        D::ImageLuma8(_) | D::ImageLumaA8(_) | D::ImageRgb8(_) | D::ImageRgba8(_) => image,
        D::ImageLuma16(_) => D::ImageLuma8(image.to_luma8()),
        D::ImageLumaA16(_) => D::ImageLumaA8(image.to_luma_alpha8()),
        D::ImageRgb16(_) | D::ImageRgb32F(_) => D::ImageRgb8(image.to_rgb8()),
        _ if image.color().has_alpha() => D::ImageRgba8(image.to_rgba8()),
        _ => D::ImageRgb8(image.to_rgb8()),
    }
}

/// Whether `orientation` turns the image by 90° (swaps width and height).
pub fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid 8x8 grey JPEG whose frame header is patched to `w`x`h`.
    fn jpeg_claiming(w: u16, h: u16) -> Vec<u8> {
        let mut b = Vec::new();
        jpeg_encoder::Encoder::new(&mut b, 80).encode(&[128u8; 64], 8, 8, jpeg_encoder::ColorType::Luma).unwrap();
        let sof = b.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
        b[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
        b[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
        b
    }

    #[test]
    fn header_bomb_is_refused_before_allocating() {
        let opts =
            DecodeOptions { max_pixels: crate::job::DEFAULT_MAX_PIXELS, allow_truncated: false, raw: RawMode::Preview };
        let decode_at = |w, h, shrink: u32| {
            decode(&jpeg_claiming(w, h), None, &opts, &mut |_| Ok(()), &|_, _| shrink, &|_, _| true)
        };
        // Held whole: over --max-pixels.
        match decode_at(65535, 65535, 1) {
            Err(FileError::TooManyPixels { width: 65535, height: 65535, .. }) => {}
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("decoded a bomb"),
        }
        // Shrunk on load, 60000x60000 would hold 56 MP: refused because 600
        // bytes of data cannot cover 3.6 GP (every block takes 2 bits or more).
        #[cfg(feature = "jpeg-turbo")]
        match decode_at(60000, 60000, 8) {
            Err(FileError::Truncated("JPEG")) => {}
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("decoded a bomb"),
        }
    }
}
