//! Bytes → pixels: header checks before any pixel buffer is allocated, the
//! decode itself, EXIF orientation and the ICC profile. Every codec is a
//! [`Decoder`], one file per family beside this one; [`decoder`] is the one
//! place a format (see `crate::format`) meets its codec.

mod av1;
mod classify;
mod gif;
pub(crate) mod heif;
mod image_rs;
mod jpeg;
mod jxl;
mod png;
mod png_shrink;
pub mod raw;
mod tiff;
#[cfg(feature = "jpeg-turbo")]
pub mod turbo;

use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat};

use crate::error::FileError;
pub use crate::format::{HEAD_LEN, HeifKind, InFormat, RawKind, sniff};
use crate::job::DecodeOptions;
pub use crate::job::RawMode;
use crate::read::Input;

/// The largest ICC profile read or written. Real profiles are under 1 MB
/// (most are a few KB); anything larger is a metadata bomb, dropped with a
/// warning so that it neither fills memory nor reaches an output.
pub(crate) const MAX_ICC: usize = 4 << 20;

/// Tells the decoder how far it may shrink on load: given the stored size
/// and whether the orientation swaps the axes, a factor of 1, 2, 4 or 8.
pub type Shrink<'a> = dyn Fn((u32, u32), bool) -> u32 + 'a;

/// Tells a decoder that can choose between sizes (a RAW's embedded
/// previews) whether an image of this stored size, with the axes swapped
/// or not by its orientation, makes every output without enlarging.
pub(crate) type Enough<'a> = dyn Fn((u32, u32), bool) -> bool + 'a;

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

/// What a decode is given besides the file.
pub struct Request<'r> {
    /// Decoder limits.
    pub opts: &'r DecodeOptions,
    /// Told the decoder's peak memory, estimated from the header, before any
    /// pixel buffer is allocated.
    pub admit: &'r mut super::Admit<'r>,
    /// How far the decoder may shrink on load.
    pub shrink: &'r Shrink<'r>,
    /// Whether an embedded image of a size is enough (a RAW's previews).
    pub enough: &'r Enough<'r>,
}

/// A family of formats' decoder: the one interface every codec offers.
pub trait Decoder {
    /// Size and orientation from the header, no pixels.
    fn header(&self, bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError>;

    /// The pixels of a file held in memory.
    fn decode(&self, bytes: &[u8], req: &mut Request<'_>) -> Result<Decoded, FileError>;

    /// The pixels read from the open file as the decode goes, never held
    /// whole (`head` is its first bytes); `None` when this file needs its
    /// bytes in memory.
    fn decode_file(&self, _input: &Input, _head: &[u8], _req: &mut Request<'_>) -> Result<Option<Decoded>, FileError> {
        Ok(None)
    }

    /// Whether the header is at the start of the file, so that a dry run
    /// can plan from the first bytes (a TIFF's or RAW's may be anywhere).
    fn header_at_start(&self) -> bool {
        true
    }

    /// How many of `head`'s bytes hold all of the file's metadata, when
    /// the format puts all of it before the pixels (JPEG).
    fn metadata_within(&self, _head: &[u8]) -> Option<usize> {
        None
    }
}

/// The decoder of a format this build reads.
pub fn decoder(format: InFormat) -> Result<Box<dyn Decoder>, FileError> {
    crate::format::readable(format)?;
    let image_rs = |theirs| -> Box<dyn Decoder> { Box::new(image_rs::ImageRs { format: theirs, ours: format }) };
    Ok(match format {
        InFormat::Jpeg => Box::new(jpeg::Jpeg),
        InFormat::Png => Box::new(png::Png),
        InFormat::Gif => Box::new(gif::Gif),
        InFormat::WebP => image_rs(ImageFormat::WebP),
        InFormat::Bmp => image_rs(ImageFormat::Bmp),
        InFormat::Pnm => image_rs(ImageFormat::Pnm),
        InFormat::Tiff => Box::new(tiff::Tiff),
        InFormat::Jxl => Box::new(jxl::Jxl),
        InFormat::Heif(kind) => Box::new(heif::Heif(kind)),
        InFormat::Raw(kind) => Box::new(raw::Raw(kind)),
    })
}

/// The decoder for a file, from its first bytes (or all of them).
pub(crate) fn for_file(bytes: &[u8], extension: Option<&str>) -> Result<Box<dyn Decoder>, FileError> {
    decoder(sniff_bytes(bytes, extension)?)
}

/// The decoder for an input whose format the walker's probe found: only a
/// TIFF is looked at again, since a DNG saved as `.tif` is told from it by a
/// tag that may be anywhere in `bytes`.
pub(crate) fn for_source(source: InFormat, bytes: &[u8]) -> Result<Box<dyn Decoder>, FileError> {
    decoder(match source {
        InFormat::Tiff if raw::is_dng(bytes) => InFormat::Raw(RawKind::Dng),
        f => f,
    })
}

/// The format of `bytes`, telling a DNG saved as `.tif` from a plain TIFF.
fn sniff_bytes(bytes: &[u8], extension: Option<&str>) -> Result<InFormat, FileError> {
    match sniff(&bytes[..bytes.len().min(HEAD_LEN)], extension)? {
        InFormat::Tiff if raw::is_dng(bytes) => Ok(InFormat::Raw(RawKind::Dng)),
        f => Ok(f),
    }
}

/// The largest allocation a decoder may make.
pub(crate) fn max_alloc(opts: &DecodeOptions) -> u64 {
    // Room for the largest accepted image at 16-bit RGBA, plus decoder state.
    opts.max_pixels.saturating_mul(8).saturating_add(64 << 20)
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
    decode_with(for_file(bytes, extension)?.as_ref(), bytes, opts, admit, shrink, enough)
}

/// [`decode`] by a codec already chosen.
pub(crate) fn decode_with(
    codec: &dyn Decoder,
    bytes: &[u8],
    opts: &DecodeOptions,
    admit: &mut super::Admit<'_>,
    shrink: &Shrink<'_>,
    enough: &Enough<'_>,
) -> Result<Decoded, FileError> {
    let mut req = Request { opts, admit, shrink, enough };
    codec.decode(bytes, &mut req).map(without_big_icc)
}

/// An ICC profile larger than [`MAX_ICC`] dropped with a warning.
fn without_big_icc(mut decoded: Decoded) -> Decoded {
    if decoded.icc.as_ref().is_some_and(|p| p.len() > MAX_ICC) {
        decoded.icc = None;
        warn(&mut decoded.warning, format!("ICC profile dropped: larger than {} MiB", MAX_ICC >> 20));
    }
    decoded
}

/// Decodes an input with `codec`, read from its open file as the decode
/// goes (see [`Decoder::decode_file`]): a JPEG that libjpeg-turbo shrinks
/// on load, a PNG shrunk row by row.
pub(crate) fn decode_file(
    codec: &dyn Decoder,
    input: &Input,
    head: &[u8],
    opts: &DecodeOptions,
    admit: &mut super::Admit<'_>,
    shrink: &Shrink<'_>,
) -> Result<Option<Decoded>, FileError> {
    let mut req = Request { opts, admit, shrink, enough: &|_, _| true };
    Ok(codec.decode_file(input, head, &mut req)?.map(without_big_icc))
}

/// How much of a file a decoder reading it from disk buffers.
pub(crate) const FILE_BUFFER: usize = 64 << 10;

/// Everything downstream works on 8-bit L, La, Rgb or Rgba.
pub(crate) fn to_8bit(image: DynamicImage) -> DynamicImage {
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

pub(crate) use crate::geometry::swaps_axes;

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
    fn every_format_this_build_reads_has_a_decoder_and_the_rest_say_why() {
        for row in crate::format::INPUTS {
            let Some(format) = row.format else { continue };
            match (row.support, decoder(format)) {
                (crate::format::Support::Reads, Ok(_)) => {}
                (crate::format::Support::Reads, Err(e)) => panic!("{}: {e}", row.name),
                (_, Ok(_)) => panic!("{}: decoded although the table says this build does not", row.name),
                (_, Err(e)) => assert!(matches!(e, FileError::UnsupportedFormat { .. }), "{}: {e}", row.name),
            }
        }
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
