//! Writes fixtures/formats/heif/: small HEIC and AVIF files for the HEIF
//! tests, made from fixtures/photos with libheif's encoders (x265, libaom),
//! so that imgbatch's own decoders are checked against another codebase's
//! files.
//!
//! `cargo run --release --features avif-libaom --example make_heif_fixtures`
//!
//! - `irot.heic`: the lake stored 320x213 with an `irot` box (turn 90°
//!   clockwise): displayed 213x320.
//! - `exif-only.heic`: the same pixels with EXIF Orientation 6 and no
//!   `irot` (what heif-enc makes of a rotated JPEG): displayed as stored.
//! - `alpha.avif`: the logo, 128x96 RGBA, AV1-coded.
//! - `deep.heic`: 10-bit, flat RGB (40000, 20000, 60000)/65535, Display P3 ICC.
//! - `multi.heic`: a red image, then a blue one that is the primary.
//! - `p3-nclx.avif`: flat colour tagged only by nclx (Display P3 primaries).
//! - `grid.heic`: the lake as iPhones store photos: a 2x2 `grid` of 192x192
//!   HEVC tiles cropped to 320x213 by the grid's output size, with an
//!   `irot` (90° clockwise): displayed 213x320.
//!
//! `... --example make_heif_fixtures -- grid IN OUT.heic` writes any photo
//! that way in 512x512 tiles (for benches/heif_vs_vips.sh).
//! - `alpha-hevc.heic`: the logo with its alpha as an HEVC auxiliary image, and
//!   an XMP packet (dc:creator "imgbatch fixtures").
//! - `deep-av1.avif`: the lake in 10-bit AV1 (names unlike the other
//!   files' stems: one folder, one output name per stem).
use std::error::Error;
use std::path::Path;

use image::{DynamicImage, GenericImageView};
use libheif_rs::{
    Channel, ColorPrimaries, ColorProfileNCLX, ColorProfileRaw, ColorSpace, CompressionFormat, EncoderQuality,
    EncodingOptions, HeifContext, Image, ImageOrientation, LibHeif, RgbChroma, color_profile_types,
};
use libheif_sys as lh;

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
    xmp: Option<&[u8]>,
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
        if let Some(xmp) = xmp {
            ctx.add_xmp_metadata(&handle, xmp)?;
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

/// The 10-bit (`HdrRgbLe`) libheif image of an 8-bit picture.
fn deep_image(img: &DynamicImage) -> Result<Image> {
    let (w, h) = img.dimensions();
    let rgb = img.to_rgb8();
    let mut deep = Image::new(w, h, ColorSpace::Rgb(RgbChroma::HdrRgbLe))?;
    deep.create_plane(Channel::Interleaved, w, h, 10)?;
    let planes = deep.planes_mut();
    let plane = planes.interleaved.ok_or("no plane")?;
    for (x, y, p) in rgb.enumerate_pixels() {
        let at = y as usize * plane.stride + x as usize * 6;
        for c in 0..3 {
            // 8 to 10 bits, as a scaler would: 255 → 1023.
            let v = (p[c] as u32 * 1023 + 127) / 255;
            plane.data[at + 2 * c..at + 2 * c + 2].copy_from_slice(&(v as u16).to_le_bytes());
        }
    }
    Ok(deep)
}

/// A libheif call's error as ours.
fn check(e: lh::heif_error) -> Result<()> {
    if e.code == 0 {
        return Ok(());
    }
    // SAFETY: libheif's messages are static NUL-terminated strings.
    Err(unsafe { std::ffi::CStr::from_ptr(e.message) }.to_string_lossy().into_owned().into())
}

/// `img` as iPhones store photos: a `grid` item of `tile`-square HEVC tiles
/// that overhang the picture (the grid's output size crops them, as an
/// iPhone's 512x512 tiles overhang 4032x3024), turned by an `irot` (90°
/// clockwise) on the grid item. libheif-rs has no call for a grid of a
/// given output size, so libheif's own (1.19+) is called directly.
fn write_grid(path: &Path, img: &DynamicImage, tile: u32) -> Result<()> {
    let (w, h) = img.dimensions();
    let (columns, rows) = (w.div_ceil(tile), h.div_ceil(tile));
    let rgb = img.to_rgb8();
    let file = std::ffi::CString::new(path.to_str().ok_or("path")?)?;
    // SAFETY: every handle is checked before use and released once; plane
    // writes stay within the stride and height libheif reports.
    unsafe {
        let ctx = lh::heif_context_alloc();
        let mut encoder = std::ptr::null_mut();
        check(lh::heif_context_get_encoder_for_format(
            ctx,
            lh::heif_compression_format_heif_compression_HEVC,
            &mut encoder,
        ))?;
        check(lh::heif_encoder_set_lossy_quality(encoder, 70))?;
        let options = lh::heif_encoding_options_alloc();
        (*options).image_orientation = lh::heif_orientation_heif_orientation_rotate_90_cw;
        let mut grid = std::ptr::null_mut();
        check(lh::heif_context_add_grid_image(ctx, w, h, columns, rows, options, &mut grid))?;
        for row in 0..rows {
            for col in 0..columns {
                let mut part = image::RgbImage::new(tile, tile);
                image::imageops::replace(&mut part, &rgb, -((col * tile) as i64), -((row * tile) as i64));
                let mut image = std::ptr::null_mut();
                let (t, rgb_space, interleaved) =
                    (tile as i32, lh::heif_colorspace_heif_colorspace_RGB, lh::heif_chroma_heif_chroma_interleaved_RGB);
                check(lh::heif_image_create(t, t, rgb_space, interleaved, &mut image))?;
                check(lh::heif_image_add_plane(image, lh::heif_channel_heif_channel_interleaved, t, t, 8))?;
                let mut stride = 0;
                let plane = lh::heif_image_get_plane(image, lh::heif_channel_heif_channel_interleaved, &mut stride);
                for (y, line) in part.as_raw().chunks_exact(tile as usize * 3).enumerate() {
                    std::ptr::copy_nonoverlapping(line.as_ptr(), plane.add(y * stride as usize), line.len());
                }
                check(lh::heif_context_add_image_tile(ctx, grid, col, row, image, encoder))?;
                lh::heif_image_release(image);
            }
        }
        check(lh::heif_context_set_primary_image(ctx, grid))?;
        check(lh::heif_context_write_to_file(ctx, file.as_ptr()))?;
        lh::heif_image_handle_release(grid);
        lh::heif_encoding_options_free(options);
        lh::heif_encoder_release(encoder);
        lh::heif_context_free(ctx);
    }
    println!("{}", path.display());
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `-- grid IN OUT`: any photo as a phone would store it, in 512x512 tiles.
    if let [mode, input, output] = &args[..]
        && mode == "grid"
    {
        return write_grid(Path::new(output), &image::open(input)?, 512);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("fixtures/formats/heif");
    std::fs::create_dir_all(&out)?;
    let lib = LibHeif::new();
    let lake = image::open(root.join("fixtures/photos/lake.jpg"))?.resize(320, 320, image::imageops::Lanczos3);
    let hevc = CompressionFormat::Hevc;
    write(&lib, &out.join("irot.heic"), &[heif_image(&lake)?], hevc, ImageOrientation::Rotate90Cw, None, None)?;
    let exif = exif_of_rotated_photo(root)?;
    write(&lib, &out.join("exif-only.heic"), &[heif_image(&lake)?], hevc, ImageOrientation::Normal, Some(&exif), None)?;
    let logo = image::open(root.join("fixtures/photos/2025/logo.png"))?.resize(128, 128, image::imageops::Lanczos3);
    let av1 = CompressionFormat::Av1;
    write(&lib, &out.join("alpha.avif"), &[heif_image(&logo)?], av1, ImageOrientation::Normal, None, None)?;

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
    write(&lib, &out.join("deep.heic"), &[deep], hevc, ImageOrientation::Normal, None, None)?;

    let flat = |rgb: [u8; 3]| DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 48, image::Rgb(rgb)));
    let images = [heif_image(&flat([220, 20, 20]))?, heif_image(&flat([20, 20, 220]))?];
    write(&lib, &out.join("multi.heic"), &images, hevc, ImageOrientation::Normal, None, None)?;

    let mut p3 = heif_image(&flat([200, 120, 40]))?;
    let mut nclx = ColorProfileNCLX::new().ok_or("nclx")?;
    nclx.set_color_primaries(ColorPrimaries::SMPTE_EG_432_1);
    p3.set_color_profile_nclx(&nclx)?;
    write(&lib, &out.join("p3-nclx.avif"), &[p3], av1, ImageOrientation::Normal, None, None)?;

    write_grid(&out.join("grid.heic"), &lake, 192)?;
    let xmp = br#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>imgbatch fixtures</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;
    let logo_heic = [heif_image(&logo)?];
    write(&lib, &out.join("alpha-hevc.heic"), &logo_heic, hevc, ImageOrientation::Normal, None, Some(xmp))?;
    write(&lib, &out.join("deep-av1.avif"), &[deep_image(&lake)?], av1, ImageOrientation::Normal, None, None)?;
    Ok(())
}
