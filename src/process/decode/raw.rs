//! Camera RAW input through rawler (pure Rust): the smallest embedded
//! preview that is big enough for every output, turned by the RAW's EXIF
//! orientation; otherwise (or with `--raw full`) the raw sensor data,
//! demosaiced and developed to sRGB.

use std::io::Cursor;
use std::sync::Arc;

use image::DynamicImage;
use image::metadata::Orientation;
use rawler::decoders::{Decoder, RawDecodeParams};
use rawler::imgop::develop::RawDevelop;
use rawler::rawsource::RawSource;

use super::{DecodeOptions, Decoded, Enough, Header, InFormat, RawKind, check_pixels, swaps_axes, to_8bit};
use crate::error::FileError;
use crate::job::RawMode;

/// A DNG saved without its extension is still a DNG: its first IFD has a
/// DNGVersion tag, which a plain TIFF never carries.
pub fn is_dng(bytes: &[u8]) -> bool {
    const DNG_VERSION: u16 = 50706;
    tiff::decoder::Decoder::new(Cursor::new(bytes))
        .ok()
        .and_then(|mut d| d.find_tag(tiff::tags::Tag::Unknown(DNG_VERSION)).ok().flatten())
        .is_some()
}

fn failed(kind: RawKind, e: impl std::fmt::Display) -> FileError {
    FileError::Unsupported(format!("cannot read this {} file: {e}", kind.name()))
}

/// One of rawler's embedded-image accessors (thumbnail, preview, full).
type PreviewGetter = fn(&dyn Decoder, &RawSource, &RawDecodeParams) -> rawler::Result<Option<DynamicImage>>;

struct Opened {
    source: RawSource,
    decoder: Box<dyn Decoder>,
    orientation: Orientation,
}

fn open(bytes: &[u8], kind: RawKind) -> Result<Opened, FileError> {
    let source = RawSource::new_from_shared_vec(Arc::new(bytes.to_vec()));
    let decoder = rawler::get_decoder(&source).map_err(|e| failed(kind, e))?;
    let params = RawDecodeParams::default();
    let exif_orientation = decoder.raw_metadata(&source, &params).ok().and_then(|m| m.exif.orientation);
    let orientation = exif_orientation
        .and_then(|o| u8::try_from(o).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    Ok(Opened { source, decoder, orientation })
}

/// The sensor's size, from the raw IFD without decoding it.
fn raw_size(o: &Opened, kind: RawKind) -> Result<(u32, u32), FileError> {
    let dummy = o.decoder.raw_image(&o.source, &RawDecodeParams::default(), true).map_err(|e| failed(kind, e))?;
    let crop = dummy.crop_area.map(|r| (r.d.w, r.d.h)).unwrap_or((dummy.width, dummy.height));
    Ok((crop.0 as u32, crop.1 as u32))
}

/// For `--dry-run`: the sensor's size and the RAW's orientation.
pub fn header(bytes: &[u8], kind: RawKind, opts: &DecodeOptions) -> Result<Header, FileError> {
    let o = open(bytes, kind)?;
    let size = raw_size(&o, kind)?;
    check_pixels(size, opts)?;
    Ok(Header { size, orientation: o.orientation })
}

/// Pixels for the outputs: a preview when one is big enough, else the raw data.
pub fn decode(
    bytes: &[u8],
    kind: RawKind,
    opts: &DecodeOptions,
    admit: &mut super::super::Admit<'_>,
    enough: &Enough<'_>,
) -> Result<Decoded, FileError> {
    let o = open(bytes, kind)?;
    let size = raw_size(&o, kind)?;
    check_pixels(size, opts)?;
    let swap = swaps_axes(o.orientation);
    let params = RawDecodeParams::default();
    let mut largest: Option<(u32, u32)> = None;
    if opts.raw == RawMode::Preview {
        // An embedded preview is at most the sensor's size, 8-bit RGB, plus
        // the JPEG decoder's own copy.
        admit(size.0 as u64 * size.1 as u64 * 3 * 2)?;
        // Smallest first: the thumbnail, the preview, the full-size JPEG.
        let getters: [PreviewGetter; 3] =
            [|d, s, p| d.thumbnail_image(s, p), |d, s, p| d.preview_image(s, p), |d, s, p| d.full_image(s, p)];
        for get in getters {
            let Ok(Some(preview)) = get(o.decoder.as_ref(), &o.source, &params) else { continue };
            let psize = (preview.width(), preview.height());
            if psize.0 == 0 || psize.1 == 0 {
                continue;
            }
            if enough(psize, swap) {
                let mut decoded = decoded(preview, o.orientation, kind);
                decoded.source_size = psize;
                return Ok(decoded);
            }
            largest = largest.max(Some(psize));
        }
    }
    // rawler keeps the raw samples, a float copy and the demosaiced float
    // RGB image (12 bytes a pixel) at once, and more during the steps.
    admit(size.0 as u64 * size.1 as u64 * 40)?;
    let raw = o.decoder.raw_image(&o.source, &params, false).map_err(|e| failed(kind, e))?;
    let developed = RawDevelop::default()
        .develop_intermediate(&raw)
        .map_err(|e| develop_failed(kind, largest, e))?
        .to_dynamic_image()
        .ok_or_else(|| develop_failed(kind, largest, "no image"))?;
    drop(raw);
    Ok(decoded(developed, o.orientation, kind))
}

fn develop_failed(kind: RawKind, largest: Option<(u32, u32)>, e: impl std::fmt::Display) -> FileError {
    let previews = match largest {
        Some((w, h)) => format!("the largest embedded preview ({w}x{h}) is smaller than the outputs"),
        None => "no embedded preview".into(),
    };
    FileError::Unsupported(format!("{} raw data cannot be developed ({e}) and {previews}", kind.name()))
}

fn decoded(image: DynamicImage, orientation: Orientation, kind: RawKind) -> Decoded {
    let source_size = (image.width(), image.height());
    Decoded { image: to_8bit(image), source_size, orientation, icc: None, format: InFormat::Raw(kind), warning: None }
}
