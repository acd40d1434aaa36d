//! HEIC/HEIF and AVIF input through libheif (cargo feature `heif`): the
//! primary image, turned by the file's `irot`/`imir` boxes (libheif applies
//! them) and never again by an EXIF Orientation tag inside the file, as
//! libvips does; 10-bit images come out at 8 bits; alpha and the ICC
//! profile are kept.

use image::metadata::Orientation;
use image::{DynamicImage, RgbImage, RgbaImage};
use libheif_rs::{
    ColorPrimaries, ColorProfileNCLX, ColorSpace, HeifContext, LibHeif, RgbChroma, TransferCharacteristics,
};

use super::{DecodeOptions, Decoded, Header, HeifKind, InFormat, check_pixels};
use crate::error::FileError;

fn corrupt(kind: HeifKind, e: libheif_rs::HeifError) -> FileError {
    let format = InFormat::Heif(kind).name();
    if matches!(e.sub_code, libheif_rs::HeifErrorSubCode::EndOfData) {
        return FileError::Truncated(format);
    }
    FileError::Corrupt { format, detail: super::classify::tidy(&e.message) }
}

/// Displayed size of the primary image (transformations applied).
pub fn header(bytes: &[u8], kind: HeifKind, opts: &DecodeOptions) -> Result<Header, FileError> {
    let ctx = HeifContext::read_from_bytes(bytes).map_err(|e| corrupt(kind, e))?;
    let handle = ctx.primary_image_handle().map_err(|e| corrupt(kind, e))?;
    let size = (handle.width(), handle.height());
    check_pixels(size, opts)?;
    Ok(Header { size, orientation: Orientation::NoTransforms })
}

/// Decodes the primary image to 8-bit RGB or RGBA.
pub fn decode(
    bytes: &[u8],
    kind: HeifKind,
    opts: &DecodeOptions,
    admit: &mut super::super::Admit<'_>,
) -> Result<Decoded, FileError> {
    let lib = LibHeif::new();
    let mut ctx = HeifContext::read_from_bytes(bytes).map_err(|e| corrupt(kind, e))?;
    // One image, one worker: libheif must not start threads of its own.
    ctx.set_max_decoding_threads(0);
    let handle = ctx.primary_image_handle().map_err(|e| corrupt(kind, e))?;
    let size = (handle.width(), handle.height());
    check_pixels(size, opts)?;
    let alpha = handle.has_alpha_channel();
    let deep = handle.luma_bits_per_pixel() > 8;
    // Decoded YCbCr planes (2 bytes a sample above 8 bits), the converted
    // interleaved RGB(A) and our copy of it.
    let pixels = size.0 as u64 * size.1 as u64;
    let planes = pixels * if deep { 6 } else { 3 };
    let channels = if alpha { 4 } else { 3 };
    admit(planes + 2 * pixels * channels)?;
    let chroma = if alpha { RgbChroma::Rgba } else { RgbChroma::Rgb };
    let decoded = lib.decode(&handle, ColorSpace::Rgb(chroma), None).map_err(|e| corrupt(kind, e))?;
    let bad = || FileError::Corrupt { format: InFormat::Heif(kind).name(), detail: "short pixel data".into() };
    let planes = decoded.planes();
    let plane = planes.interleaved.ok_or_else(bad)?;
    let (w, h) = (plane.width, plane.height);
    let row = w as usize * channels as usize;
    let mut buf = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        let start = y * plane.stride;
        let line = plane.data.get(start..start + row).ok_or_else(bad)?;
        buf.extend_from_slice(line);
    }
    let image = if alpha {
        DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, buf).ok_or_else(bad)?)
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, buf).ok_or_else(bad)?)
    };
    let icc = handle
        .color_profile_raw()
        .map(|p| p.data)
        .filter(|d| !d.is_empty())
        .or_else(|| handle.color_profile_nclx().and_then(|n| nclx_icc(&n)));
    Ok(Decoded {
        image,
        source_size: (w, h),
        orientation: Orientation::NoTransforms,
        icc,
        format: InFormat::Heif(kind),
        warning: None,
    })
}

/// An ICC profile for an nclx colour description (AVIF and some HEIC carry
/// only that), so the output keeps its colours; `None` for sRGB, which is
/// what an untagged output means anyway, and for what has no ICC form.
fn nclx_icc(nclx: &ColorProfileNCLX) -> Option<Vec<u8>> {
    use jxl_color::{ColourSpace, EnumColourEncoding, Primaries, RenderingIntent, TransferFunction, WhitePoint};
    let (primaries, white_point) = match nclx.color_primaries() {
        ColorPrimaries::ITU_R_BT_709_5 | ColorPrimaries::Unspecified => (Primaries::Srgb, WhitePoint::D65),
        ColorPrimaries::ITU_R_BT_2020_2_and_2100_0 => (Primaries::Bt2100, WhitePoint::D65),
        ColorPrimaries::SMPTE_RP_431_2 => (Primaries::P3, WhitePoint::Dci),
        ColorPrimaries::SMPTE_EG_432_1 => (Primaries::P3, WhitePoint::D65),
        _ => return None,
    };
    let tf = match nclx.transfer_characteristics() {
        TransferCharacteristics::IEC_61966_2_1 | TransferCharacteristics::Unspecified => TransferFunction::Srgb,
        TransferCharacteristics::ITU_R_BT_709_5
        | TransferCharacteristics::ITU_R_BT_601_6
        | TransferCharacteristics::ITU_R_BT_2020_2_10bit
        | TransferCharacteristics::ITU_R_BT_2020_2_12bit => TransferFunction::Bt709,
        TransferCharacteristics::Linear => TransferFunction::Linear,
        TransferCharacteristics::ITU_R_BT_2100_0_PQ => TransferFunction::Pq,
        TransferCharacteristics::ITU_R_BT_2100_0_HLG => TransferFunction::Hlg,
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

/// HEIC or AVIF, by libheif.
pub(crate) struct Heif(pub HeifKind);

impl super::Decoder for Heif {
    fn header(&self, bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError> {
        header(bytes, self.0, opts)
    }

    fn decode(&self, bytes: &[u8], req: &mut super::Request<'_>) -> Result<Decoded, FileError> {
        decode(bytes, self.0, req.opts, req.admit)
    }
}
