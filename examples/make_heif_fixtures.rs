//! Writes fixtures/formats/heif/: small HEIC and AVIF files for the `heif`
//! feature's tests, made from fixtures/photos with libheif's encoders.
//!
//! `cargo run --release --features heif --example make_heif_fixtures`
//!
//! - `irot.heic`: the lake stored 320x213 with an `irot` box (turn 90°
//!   clockwise): displayed 213x320.
//! - `exif-only.heic`: the same pixels with EXIF Orientation 6 and no
//!   `irot` (what heif-enc makes of a rotated JPEG): displayed as stored.
//! - `alpha.avif`: the logo, 128x96 RGBA, AV1-coded.
//! - `deep.heic`: 10-bit, flat RGB (40000, 20000, 60000)/65535, Display P3 ICC.
//! - `multi.heic`: a red image, then a blue one that is the primary.
//! - `p3-nclx.avif`: flat colour tagged only by nclx (Display P3 primaries).
use std::error::Error;
use std::path::Path;

use image::{DynamicImage, GenericImageView};
use libheif_rs::{
    Channel, ColorPrimaries, ColorProfileNCLX, ColorProfileRaw, ColorSpace, CompressionFormat, EncoderQuality,
    EncodingOptions, HeifContext, Image, ImageOrientation, LibHeif, RgbChroma, color_profile_types,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// An 8-bit RGB(A) libheif image holding `img`.
fn heif_image(img: &DynamicImage) -> Result<Image> {
    let (w, h) = img.dimensions();
    let alpha = img.color().has_alpha();
    let (chroma, bytes, data) = if alpha {
        (RgbChroma::Rgba, 4, img.to_rgba8().into_raw())
    } else {
        (RgbChroma::Rgb, 3, img.to_rgb8().into_raw())
    };
    let mut image = Image::new(w, h, ColorSpace::Rgb(chroma))?;
    image.create_plane(Channel::Interleaved, w, h, 8 * bytes as u8)?;
    let planes = image.planes_mut();
    let plane = planes.interleaved.ok_or("no plane")?;
    let row = w as usize * bytes;
    for y in 0..h as usize {
        plane.data[y * plane.stride..y * plane.stride + row].copy_from_slice(&data[y * row..(y + 1) * row]);
    }
    Ok(image)
}

/// The EXIF block (Orientation 6) of the rotated sample photo.
fn exif_of_rotated_photo(root: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(root.join("fixtures/photos/2024/city/rotated.jpg"))?;
    let mut d = jpeg_decoder::Decoder::new(std::io::BufReader::new(file));
    d.read_info()?;
    Ok(d.exif_data().ok_or("rotated.jpg has no EXIF")?.to_vec())
}

fn write(
    lib: &LibHeif,
    path: &Path,
    images: &[Image],
    format: CompressionFormat,
    orientation: ImageOrientation,
    exif: Option<&[u8]>,
) -> Result<()> {
    let mut ctx = HeifContext::new()?;
    let mut encoder = lib.encoder_for_format(format)?;
    encoder.set_quality(EncoderQuality::Lossy(70))?;
    let mut last = None;
    for image in images {
        let mut options = EncodingOptions::new()?;
        options.set_image_orientation(orientation);
        let handle = ctx.encode_image(image, &mut encoder, Some(options))?;
        if let Some(exif) = exif {
            ctx.add_exif_metadata(&handle, exif)?;
        }
        last = Some(handle);
    }
    // The last image is the primary one.
    if let Some(mut handle) = last {
        ctx.set_primary_image(&mut handle)?;
    }
    ctx.write_to_file(path.to_str().ok_or("path")?)?;
    println!("{}", path.display());
    Ok(())
}

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("fixtures/formats/heif");
    std::fs::create_dir_all(&out)?;
    let lib = LibHeif::new();
    let lake = image::open(root.join("fixtures/photos/lake.jpg"))?.resize(320, 320, image::imageops::Lanczos3);
    let hevc = CompressionFormat::Hevc;
    write(&lib, &out.join("irot.heic"), &[heif_image(&lake)?], hevc, ImageOrientation::Rotate90Cw, None)?;
    let exif = exif_of_rotated_photo(root)?;
    write(&lib, &out.join("exif-only.heic"), &[heif_image(&lake)?], hevc, ImageOrientation::Normal, Some(&exif))?;
    let logo = image::open(root.join("fixtures/photos/2025/logo.png"))?.resize(128, 128, image::imageops::Lanczos3);
    let av1 = CompressionFormat::Av1;
    write(&lib, &out.join("alpha.avif"), &[heif_image(&logo)?], av1, ImageOrientation::Normal, None)?;

    // 10 bits: libheif's interleaved 16-bit-per-sample layout, little-endian.
    let (w, h) = (96u32, 64u32);
    let mut deep = Image::new(w, h, ColorSpace::Rgb(RgbChroma::HdrRgbLe))?;
    deep.create_plane(Channel::Interleaved, w, h, 10)?;
    {
        let planes = deep.planes_mut();
        let plane = planes.interleaved.ok_or("no plane")?;
        let px: Vec<u8> = [40000u16, 20000, 60000].iter().flat_map(|v| (v >> 6).to_le_bytes()).collect();
        for y in 0..h as usize {
            for x in 0..w as usize {
                let at = y * plane.stride + x * 6;
                plane.data[at..at + 6].copy_from_slice(&px);
            }
        }
    }
    // A Display P3 profile as jxl-oxide synthesises it (what iPhones tag photos with).
    let mut jxl =
        jxl_oxide::JxlImage::builder().open(root.join("fixtures/formats/jxl/forest.jxl")).map_err(|e| e.to_string())?;
    jxl.request_color_encoding(jxl_oxide::EnumColourEncoding::display_p3(jxl_oxide::RenderingIntent::Relative));
    let p3 = jxl.rendered_icc();
    deep.set_color_profile_raw(&ColorProfileRaw::new(color_profile_types::PROF, p3))?;
    write(&lib, &out.join("deep.heic"), &[deep], hevc, ImageOrientation::Normal, None)?;

    let flat = |rgb: [u8; 3]| DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 48, image::Rgb(rgb)));
    let images = [heif_image(&flat([220, 20, 20]))?, heif_image(&flat([20, 20, 220]))?];
    write(&lib, &out.join("multi.heic"), &images, hevc, ImageOrientation::Normal, None)?;

    let mut p3 = heif_image(&flat([200, 120, 40]))?;
    let mut nclx = ColorProfileNCLX::new().ok_or("nclx")?;
    nclx.set_color_primaries(ColorPrimaries::SMPTE_EG_432_1);
    p3.set_color_profile_nclx(&nclx)?;
    write(&lib, &out.join("p3-nclx.avif"), &[p3], av1, ImageOrientation::Normal, None)?;
    Ok(())
}
