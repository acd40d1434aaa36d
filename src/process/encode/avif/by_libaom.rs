//! AVIF by libaom through libheif (the `avif-libaom` feature).

use image::DynamicImage;

use crate::error::EncodeError;
use crate::job::{EncodeOptions, Subsampling};

/// Whether libaom 3.6.0 (Debian 12's, which this feature links) can
/// encode this size: libheif refuses larger images with it ("AOM v3.6.0 has
/// a bug when encoding large images"), so rav1e encodes those, a 1x16383
/// strip as well as a 40 MP panorama. libheif's bound, exactly.
pub(super) fn encodes(w: u32, h: u32) -> bool {
    w <= 8192 * 2 && h <= 4352 * 2 && u64::from(w) * u64::from(h) <= 8192 * 4352
}

/// `--effort` 0–10 to libaom's speed 9–0 (libvips' mapping, so sharp's
/// effort 4 is libaom's speed 5).
fn aom_speed(effort: u8) -> i32 {
    9 - effort.min(9) as i32
}

pub(super) fn encode(img: &DynamicImage, opts: &EncodeOptions, exif: Option<&[u8]>) -> Result<Vec<u8>, EncodeError> {
    use libheif_rs::{
        Channel, ColorSpace, CompressionFormat, EncoderParameterValue, EncoderQuality, HeifContext, Image, LibHeif,
        RgbChroma,
    };
    let e = |e: libheif_rs::HeifError| EncodeError::codec(e);
    let alpha = img.color().has_alpha();
    let (pixels, chroma, channels) = if alpha {
        (img.to_rgba8().into_raw(), RgbChroma::Rgba, 4)
    } else {
        (img.to_rgb8().into_raw(), RgbChroma::Rgb, 3)
    };
    let (w, h) = (img.width(), img.height());
    let mut image = Image::new(w, h, ColorSpace::Rgb(chroma)).map_err(e)?;
    image.create_plane(Channel::Interleaved, w, h, 8).map_err(e)?;
    let plane =
        image.planes_mut().interleaved.ok_or_else(|| EncodeError::codec("libheif made no interleaved plane"))?;
    let row = w as usize * channels;
    for (dst, src) in plane.data.chunks_mut(plane.stride).zip(pixels.chunks_exact(row)) {
        dst[..row].copy_from_slice(src);
    }
    let lib = LibHeif::new();
    let mut encoder = lib.encoder_for_format(CompressionFormat::Av1).map_err(e)?;
    encoder.set_quality(EncoderQuality::Lossy(opts.quality)).map_err(e)?;
    encoder.set_parameter_value("speed", EncoderParameterValue::Int(aom_speed(opts.effort))).map_err(e)?;
    let chroma = match opts.subsampling {
        Subsampling::S420 => "420",
        Subsampling::S422 => "422",
        Subsampling::S444 => "444",
    };
    encoder.set_parameter_value("chroma", EncoderParameterValue::String(chroma.into())).map_err(e)?;
    encoder.set_parameter_value("threads", EncoderParameterValue::Int(1)).map_err(e)?;
    let mut ctx = HeifContext::new().map_err(e)?;
    let handle = ctx.encode_image(&image, &mut encoder, None).map_err(e)?;
    if let Some(exif) = exif {
        ctx.add_exif_metadata(&handle, exif).map_err(e)?;
    }
    ctx.write_to_bytes().map_err(e)
}
