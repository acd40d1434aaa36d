//! HEIC/HEIF and AVIF input in pure Rust, in every build: heic-rs reads the
//! container (items, `grid` tiles, `irot`/`imir`/`clap`, the alpha item,
//! `colr`, EXIF/XMP items) and decodes HEVC; AV1 items go to rav1d
//! (`av1.rs`). The primary image comes out turned by the file's own boxes
//! and never again by an EXIF Orientation tag inside it, as libvips does;
//! 10-bit images come out at 8 bits; alpha and the ICC profile are kept,
//! and an `nclx` colour description becomes a profile.

use std::borrow::Cow;

use heic_rs::context::Context;
use heic_rs::ftyp::{Brand, FileType};
use heic_rs::hevc::Frame;
use heic_rs::{MatrixCoefficients, Nclx, PixelLayout, Range};
use image::metadata::Orientation;
use image::{DynamicImage, RgbImage, RgbaImage};

use super::av1::Cicp;
use super::{DecodeOptions, Decoded, Header, HeifKind, InFormat, MAX_ICC, check_pixels};
use crate::error::FileError;

fn error(kind: HeifKind, e: heic_rs::Error) -> FileError {
    let format = InFormat::Heif(kind).name();
    match e {
        heic_rs::Error::Truncated(_) => FileError::Truncated(format),
        heic_rs::Error::Unsupported(what) => FileError::Unsupported(format!("{format}: {what}")),
        e => FileError::Corrupt { format, detail: super::classify::tidy(&e.to_string()) },
    }
}

/// The file's items. heic-rs's own opener refuses an AVIF brand, but AVIF
/// is the same container: only the coded items differ, and those are
/// decoded here by their type.
fn open(bytes: &[u8], kind: HeifKind) -> Result<Context<'_>, FileError> {
    let meta = heic_rs::meta::parse(bytes).map_err(|e| error(kind, e))?;
    let brand = if kind == HeifKind::Avif { Brand::Avif } else { Brand::Mif1 };
    let ftyp = FileType { major: brand, effective: brand, minor_version: 0, compatible_count: 0 };
    Ok(Context { file: bytes, ftyp, meta })
}

/// Width and height.
type Size = (u32, u32);

/// The primary item's stored and displayed sizes.
fn sizes(ctx: &Context<'_>, kind: HeifKind) -> Result<(Size, Size), FileError> {
    let id = ctx.meta.primary;
    let p = ctx.props(id).map_err(|e| error(kind, e))?;
    let coded = ctx.coded_size(id, &p).map_err(|e| error(kind, e))?;
    let shown = heic_rs::transform::transformed_size(coded.0, coded.1, &p.transforms).map_err(|e| error(kind, e))?;
    Ok((coded, shown))
}

/// Displayed size of the primary image (transformations applied).
pub fn header(bytes: &[u8], kind: HeifKind, opts: &DecodeOptions) -> Result<Header, FileError> {
    let ctx = open(bytes, kind)?;
    let (coded, shown) = sizes(&ctx, kind)?;
    check_pixels(coded, opts)?;
    Ok(Header { size: shown, orientation: Orientation::NoTransforms })
}

/// The colour a coded HEVC picture declares in its sequence parameter set
/// (the VUI), which is what a file with no `colr nclx` box means; absent,
/// H.265 says limited range and an unspecified matrix.
fn hevc_signal(parameter_sets: &[&[u8]]) -> Cicp {
    let sps = parameter_sets.iter().find(|p| p.first().is_some_and(|b| (b >> 1) & 0x3f == 33));
    let signal = sps
        .and_then(|p| scuffle_h265::SpsNALUnit::parse(std::io::Cursor::new(p)).ok())
        .and_then(|s| s.rbsp.vui_parameters)
        .map(|v| v.video_signal_type)
        .unwrap_or_default();
    Cicp {
        primaries: u16::from(signal.colour_primaries),
        transfer: u16::from(signal.transfer_characteristics),
        matrix: u16::from(signal.matrix_coeffs),
        full_range: signal.video_full_range_flag,
    }
}

/// heic-rs's colour description for a coded picture's. An unspecified (2)
/// or reserved matrix is BT.601, as libheif, libvips and JFIF read it
/// (heic-rs would take BT.709: 3.3 levels of red off on heif-enc's files).
fn nclx(c: Cicp) -> Nclx {
    let matrix = match MatrixCoefficients::from_code(c.matrix) {
        MatrixCoefficients::Unspecified | MatrixCoefficients::Other(3) => MatrixCoefficients::Bt601,
        m => m,
    };
    Nclx {
        primaries: c.primaries,
        transfer: c.transfer,
        matrix,
        matrix_code: c.matrix,
        range: if c.full_range { Range::Full } else { Range::Limited },
    }
}

/// One coded picture item, by its codec.
fn coded(ctx: &Context<'_>, id: u32, kind: HeifKind, max_pixels: u64) -> Result<(Frame, Cicp), FileError> {
    let err = |e| error(kind, e);
    let item_type = ctx.meta.item(id).map(|i| i.item_type).ok_or_else(|| err(heic_rs::Error::MissingItem(id)))?;
    let data = ctx.item_data(id).map_err(err)?;
    match &item_type {
        b"hvc1" | b"hev1" => {
            let p = ctx.props(id).map_err(err)?;
            let hvcc = p.hvcc.as_ref().ok_or_else(|| err(heic_rs::Error::MissingBox("hvcC")))?;
            let nals = hvcc.split_nals(&data).map_err(err)?;
            let params = hvcc.parameter_sets();
            let frame = heic_rs::hevc::decode_still(&params, &nals).map_err(err)?;
            frame.validate().map_err(err)?;
            Ok((frame, hevc_signal(&params)))
        }
        b"av01" => super::av1::decode(&data, max_pixels)
            .map_err(|e| FileError::Corrupt { format: InFormat::Heif(kind).name(), detail: e.to_string() }),
        other => Err(FileError::Unsupported(format!(
            "{}: image item of type `{}`",
            InFormat::Heif(kind).name(),
            String::from_utf8_lossy(other)
        ))),
    }
}

/// An item's picture: a coded one, or a `grid`'s tiles put together.
fn picture(ctx: &Context<'_>, id: u32, kind: HeifKind, max_pixels: u64) -> Result<(Frame, Cicp), FileError> {
    let err = |e| error(kind, e);
    let Some((grid, tiles)) = ctx.grid(id).map_err(err)? else {
        return coded(ctx, id, kind, max_pixels);
    };
    let mut signal = None;
    let mut frames = Vec::with_capacity(tiles.len());
    for tile in tiles {
        let (frame, cicp) = coded(ctx, tile, kind, max_pixels)?;
        signal.get_or_insert(cicp);
        frames.push(frame);
    }
    let whole = heic_rs::grid::compose(&grid, &frames, max_pixels).map_err(err)?;
    let signal = signal.ok_or_else(|| err(heic_rs::Error::Malformed("a grid without tiles")))?;
    Ok((whole, signal))
}

/// Decodes the primary image to 8-bit RGB or RGBA.
pub fn decode(
    bytes: &[u8],
    kind: HeifKind,
    opts: &DecodeOptions,
    admit: &mut super::super::Admit<'_>,
) -> Result<Decoded, FileError> {
    let err = |e| error(kind, e);
    let ctx = open(bytes, kind)?;
    let (coded_size, _) = sizes(&ctx, kind)?;
    check_pixels(coded_size, opts)?;
    let id = ctx.meta.primary;
    let p = ctx.props(id).map_err(err)?;
    let alpha_item = ctx.alpha_item(id).map_err(err)?;
    // Planes at 16 bits a sample (a grid's tiles and their mosaic), the
    // alpha plane, the interleaved output and a turned copy of it.
    let pixels = coded_size.0 as u64 * coded_size.1 as u64;
    let channels = if alpha_item.is_some() { 4 } else { 3 };
    admit(pixels * (12 + 4) + 2 * pixels * channels)?;

    let (frame, signal) = picture(&ctx, id, kind, opts.max_pixels)?;
    let alpha = alpha_item.map(|a| picture(&ctx, a, kind, opts.max_pixels).map(|(f, _)| f)).transpose()?;
    // The `colr nclx` box, else what the coded picture says.
    let box_cicp = p.nclx.map(|n| Cicp {
        primaries: n.primaries,
        transfer: n.transfer,
        matrix: n.matrix_code,
        full_range: n.range == Range::Full,
    });
    let nclx = nclx(box_cicp.unwrap_or(signal));
    let layout = if alpha.is_some() { PixelLayout::Rgba8 } else { PixelLayout::Rgb8 };
    let rgb = heic_rs::color::convert(&frame, alpha.as_ref(), nclx, layout, opts.max_pixels, Some(1)).map_err(err)?;
    drop((frame, alpha));
    let shown = heic_rs::transform::apply_all(rgb, &p.transforms).map_err(err)?;
    let (w, h) = (shown.width, shown.height);
    let bad = || FileError::Corrupt { format: InFormat::Heif(kind).name(), detail: "short pixel data".into() };
    let image = if layout == PixelLayout::Rgba8 {
        DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, shown.data).ok_or_else(bad)?)
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, shown.data).ok_or_else(bad)?)
    };
    // A profile from the `colr` box only, as the libheif build made it: a
    // VUI's primaries are left unlabelled (sRGB), which is what x265's
    // files (through libheif) say anyway: primaries 1 or 2.
    let icc = ctx
        .icc(&p)
        .filter(|d| !d.is_empty() && d.len() <= MAX_ICC)
        .map(<[u8]>::to_vec)
        .or_else(|| p.nclx.and_then(|n| nclx_icc(&n)));
    Ok(Decoded {
        image,
        source_size: (w, h),
        orientation: Orientation::NoTransforms,
        icc,
        format: InFormat::Heif(kind),
        warning: None,
    })
}

/// The primary image's XMP packet, for `--keep-metadata` (its EXIF is read
/// by kamadak-exif, which knows the container).
pub(crate) fn xmp(bytes: &[u8]) -> Option<Vec<u8>> {
    let ctx = open(bytes, HeifKind::Heic).ok()?;
    let item = ctx.xmp_item(ctx.meta.primary)?;
    ctx.item_data(item).ok().map(Cow::into_owned)
}

/// An ICC profile for an nclx colour description (AVIF and some HEIC carry
/// only that), so the output keeps its colours; `None` for sRGB, which is
/// what an untagged output means anyway, and for what has no ICC form.
fn nclx_icc(nclx: &Nclx) -> Option<Vec<u8>> {
    use jxl_color::{ColourSpace, EnumColourEncoding, Primaries, RenderingIntent, TransferFunction, WhitePoint};
    // Code points of ISO/IEC 23091-2 (H.273); 2 is "unspecified".
    let (primaries, white_point) = match nclx.primaries {
        1 | 2 => (Primaries::Srgb, WhitePoint::D65),
        9 => (Primaries::Bt2100, WhitePoint::D65),
        11 => (Primaries::P3, WhitePoint::Dci),
        12 => (Primaries::P3, WhitePoint::D65),
        _ => return None,
    };
    let tf = match nclx.transfer {
        13 | 2 => TransferFunction::Srgb,
        1 | 6 | 14 | 15 => TransferFunction::Bt709,
        8 => TransferFunction::Linear,
        16 => TransferFunction::Pq,
        18 => TransferFunction::Hlg,
        _ => return None,
    };
    if primaries == Primaries::Srgb && tf == TransferFunction::Srgb {
        return None;
    }
    let encoding = EnumColourEncoding {
        colour_space: ColourSpace::Rgb,
        white_point,
        primaries,
        tf,
        rendering_intent: RenderingIntent::Relative,
    };
    Some(jxl_color::icc::colour_encoding_to_icc(&encoding))
}

/// HEIC or AVIF.
pub(crate) struct Heif(pub HeifKind);

impl super::Decoder for Heif {
    fn header(&self, bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError> {
        header(bytes, self.0, opts)
    }

    fn decode(&self, bytes: &[u8], req: &mut super::Request<'_>) -> Result<Decoded, FileError> {
        decode(bytes, self.0, req.opts, req.admit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_matrix_is_bt601_and_the_range_is_kept() {
        let unlabelled = nclx(Cicp { primaries: 2, transfer: 2, matrix: 2, full_range: true });
        assert_eq!((unlabelled.matrix, unlabelled.range), (MatrixCoefficients::Bt601, Range::Full));
        let video = nclx(Cicp { primaries: 1, transfer: 1, matrix: 1, full_range: false });
        assert_eq!((video.matrix, video.range, video.matrix_code), (MatrixCoefficients::Bt709, Range::Limited, 1));
    }

    #[test]
    fn the_hevc_vui_gives_the_colour_and_its_absence_says_limited_range() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/formats/heif/irot.heic")).unwrap();
        let ctx = open(&bytes, HeifKind::Heic).unwrap();
        let p = ctx.props(ctx.meta.primary).unwrap();
        let params = p.hvcc.as_ref().unwrap().parameter_sets();
        // libheif's x265 plugin writes BT.601, full range, into the VUI.
        let vui = hevc_signal(&params);
        assert_eq!((vui.matrix, vui.full_range), (6, true));
        // No SPS at all: H.265's inferred values.
        assert_eq!(hevc_signal(&[]), Cicp { primaries: 2, transfer: 2, matrix: 2, full_range: false });
    }
}
