//! AVIF output. The default build encodes with ravif (rav1e, pure Rust);
//! the `heif` feature uses libheif's libaom encoder instead, the one sharp
//! and libvips use: on the photo corpus it makes smaller files at the same
//! SSIM in less time (benches/README.md, T3). Both write 8-bit YCbCr 4:4:4
//! (ravif has no subsampled chroma; 4:4:4 is sharp's AVIF default too),
//! tagged sRGB by the nclx colour box and no ICC profile, so the pixels
//! must already be sRGB. The encoder runs on the worker's own thread: the
//! pool is the parallelism.

use image::DynamicImage;

/// Encodes `img` (8-bit grey, RGB or RGBA) at `quality` 1–100 and
/// `effort` 0–10 (more is slower and smaller, as sharp's), with `exif`.
pub fn encode(img: &DynamicImage, quality: u8, effort: u8, exif: Option<&[u8]>) -> Result<Vec<u8>, String> {
    #[cfg(feature = "heif")]
    return with_libheif(img, quality, effort, exif);
    #[cfg(not(feature = "heif"))]
    with_ravif(img, quality, effort, exif)
}

/// `--effort` 0–10 to rav1e's speed preset 10–1 (more is faster).
#[cfg(not(feature = "heif"))]
fn rav1e_speed(effort: u8) -> u8 {
    10 - effort.min(9)
}

#[cfg(not(feature = "heif"))]
fn with_ravif(img: &DynamicImage, quality: u8, effort: u8, exif: Option<&[u8]>) -> Result<Vec<u8>, String> {
    use ravif::{BitDepth, Encoder, Img, RGB8, RGBA8};
    let (w, h) = (img.width() as usize, img.height() as usize);
    let encoder = Encoder::new()
        .with_quality(quality.clamp(1, 100) as f32)
        .with_speed(rav1e_speed(effort))
        // 10-bit measured 0.5 % smaller at equal SSIM and far slower.
        .with_bit_depth(BitDepth::Eight);
    let encoder = match exif {
        Some(e) => encoder.with_exif(e),
        None => encoder,
    };
    let encoded = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        let px: Vec<RGBA8> = rgba.as_raw().chunks_exact(4).map(|c| RGBA8::new(c[0], c[1], c[2], c[3])).collect();
        encoder.encode_rgba(Img::new(&px[..], w, h))
    } else {
        let rgb = img.to_rgb8();
        let px: Vec<RGB8> = rgb.as_raw().chunks_exact(3).map(|c| RGB8::new(c[0], c[1], c[2])).collect();
        encoder.encode_rgb(Img::new(&px[..], w, h))
    };
    encoded.map(|e| e.avif_file).map_err(|e| e.to_string())
}

/// `--effort` 0–10 to libaom's speed 9–0 (libvips' mapping, so sharp's
/// effort 4 is libaom's speed 5).
#[cfg(feature = "heif")]
fn aom_speed(effort: u8) -> i32 {
    9 - effort.min(9) as i32
}

#[cfg(feature = "heif")]
fn with_libheif(img: &DynamicImage, quality: u8, effort: u8, exif: Option<&[u8]>) -> Result<Vec<u8>, String> {
    use libheif_rs::{
        Channel, ColorSpace, CompressionFormat, EncoderParameterValue, EncoderQuality, HeifContext, Image, LibHeif,
        RgbChroma,
    };
    let e = |e: libheif_rs::HeifError| e.to_string();
    let alpha = img.color().has_alpha();
    let (pixels, chroma, channels) = if alpha {
        (img.to_rgba8().into_raw(), RgbChroma::Rgba, 4)
    } else {
        (img.to_rgb8().into_raw(), RgbChroma::Rgb, 3)
    };
    let (w, h) = (img.width(), img.height());
    let mut image = Image::new(w, h, ColorSpace::Rgb(chroma)).map_err(e)?;
    image.create_plane(Channel::Interleaved, w, h, 8).map_err(e)?;
    let plane = image.planes_mut().interleaved.ok_or("libheif made no interleaved plane")?;
    let row = w as usize * channels;
    for (dst, src) in plane.data.chunks_mut(plane.stride).zip(pixels.chunks_exact(row)) {
        dst[..row].copy_from_slice(src);
    }
    let lib = LibHeif::new();
    let mut encoder = lib.encoder_for_format(CompressionFormat::Av1).map_err(e)?;
    encoder.set_quality(EncoderQuality::Lossy(quality)).map_err(e)?;
    encoder.set_parameter_value("speed", EncoderParameterValue::Int(aom_speed(effort))).map_err(e)?;
    encoder.set_parameter_value("chroma", EncoderParameterValue::String("444".into())).map_err(e)?;
    encoder.set_parameter_value("threads", EncoderParameterValue::Int(1)).map_err(e)?;
    let mut ctx = HeifContext::new().map_err(e)?;
    let handle = ctx.encode_image(&image, &mut encoder, None).map_err(e)?;
    if let Some(exif) = exif {
        ctx.add_exif_metadata(&handle, exif).map_err(e)?;
    }
    ctx.write_to_bytes().map_err(e)
}
