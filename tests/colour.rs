//! `--colour`: inputs tagged with a profile come out in sRGB without one by
//! default, or as stored with their profile under `--colour keep`. The
//! profiles are made here with moxcms; the images are flat patches, so the
//! expected colours are known exactly.

mod common;

use std::fs;
use std::path::Path;

use common::{bin, jpeg_bytes};
use image::{ImageDecoder, RgbImage};
use moxcms::{ColorProfile, Layout, TransformOptions};

/// A 64x64 picture of one colour, as a JPEG tagged with `icc` (quality 100,
/// 4:4:4 would be exact; 4:2:0 at 100 is within a few levels on a flat patch).
fn tagged(path: &Path, rgb: [u8; 3], icc: &[u8]) {
    let img = RgbImage::from_pixel(64, 64, image::Rgb(rgb));
    fs::write(path, jpeg_bytes(&img, 100, None, Some(icc))).unwrap();
}

fn centre(path: &Path) -> [u8; 3] {
    image::open(path).unwrap().to_rgb8().get_pixel(16, 16).0
}

fn icc_of(path: &Path) -> Option<Vec<u8>> {
    let f = std::io::BufReader::new(fs::File::open(path).unwrap());
    image::codecs::jpeg::JpegDecoder::new(f).unwrap().icc_profile().unwrap()
}

fn close(a: [u8; 3], b: [u8; 3], tol: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tol)
}

/// What moxcms makes of `rgb` in `profile`, in sRGB: the expected output.
fn in_srgb(profile: &ColorProfile, rgb: [u8; 3]) -> [u8; 3] {
    let t = profile
        .create_transform_8bit(Layout::Rgb, &ColorProfile::new_srgb(), Layout::Rgb, TransformOptions::default())
        .unwrap();
    let mut out = [0u8; 3];
    t.transform(&rgb, &mut out).unwrap();
    out
}

fn run(input: &Path, out: &Path, extra: &[&str]) {
    bin().args(["thumbs", "--sizes", "32", "-o"]).arg(out).arg(input).args(extra).assert().success();
}

#[test]
fn an_adobe_rgb_photo_comes_out_in_srgb_without_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let adobe = ColorProfile::new_adobe_rgb();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    let green = [70, 170, 60];
    // Encoded once: the profile's header holds the time it was made.
    let profile = adobe.encode().unwrap();
    tagged(&input.join("adobe.jpg"), green, &profile);
    let out = dir.path().join("out");
    run(&input, &out, &[]);
    let got = centre(&out.join("adobe_32.jpg"));
    let want = in_srgb(&adobe, green);
    assert!(close(got, want, 4), "got {got:?}, want {want:?} (as stored: {green:?})");
    // The conversion did something: Adobe RGB's green is wider than sRGB's.
    assert!(!close(want, green, 8), "{want:?}");
    assert_eq!(icc_of(&out.join("adobe_32.jpg")), None);
    // --colour keep: the pixels as stored and the profile with them.
    let kept = dir.path().join("kept");
    run(&input, &kept, &["--colour", "keep"]);
    assert!(close(centre(&kept.join("adobe_32.jpg")), green, 4));
    assert_eq!(icc_of(&kept.join("adobe_32.jpg")), Some(profile));
}

#[test]
fn a_profile_with_red_and_green_swapped_has_them_swapped_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut swapped = ColorProfile::new_srgb();
    std::mem::swap(&mut swapped.red_colorant, &mut swapped.green_colorant);
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    // Stored as "red": displayed, through its profile, as green.
    tagged(&input.join("swapped.jpg"), [200, 30, 30], &swapped.encode().unwrap());
    let out = dir.path().join("out");
    run(&input, &out, &[]);
    let got = centre(&out.join("swapped_32.jpg"));
    assert!(close(got, [30, 200, 30], 6), "{got:?}");
}

#[test]
fn an_srgb_profile_under_another_name_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    let colour = [180, 90, 40];
    tagged(&input.join("camera.jpg"), colour, &ColorProfile::new_srgb().encode().unwrap());
    let out = dir.path().join("out");
    run(&input, &out, &[]);
    assert!(close(centre(&out.join("camera_32.jpg")), colour, 4));
    assert_eq!(icc_of(&out.join("camera_32.jpg")), None);
}

#[test]
fn a_camera_in_adobe_rgb_mode_is_converted_by_its_exif_alone() {
    use exif::{Field, In, Tag, Value};
    // ColorSpace = Uncalibrated and interoperability index R03, no profile.
    let cs = Field { tag: Tag::ColorSpace, ifd_num: In::PRIMARY, value: Value::Short(vec![0xFFFF]) };
    let ix =
        Field { tag: Tag::InteroperabilityIndex, ifd_num: In::PRIMARY, value: Value::Ascii(vec![b"R03".to_vec()]) };
    let mut w = exif::experimental::Writer::new();
    w.push_field(&cs);
    w.push_field(&ix);
    let mut tiff = std::io::Cursor::new(Vec::new());
    w.write(&mut tiff, false).unwrap();
    let green = [70, 170, 60];
    let img = RgbImage::from_pixel(64, 64, image::Rgb(green));
    let mut jpeg = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 100);
    enc.add_exif_metadata(tiff.get_ref()).unwrap();
    enc.encode(img.as_raw(), 64, 64, jpeg_encoder::ColorType::Rgb).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(input.join("DSC_0001.JPG"), &jpeg).unwrap();
    // 256 px of a 64 px image: no shrink-on-load, the zune-jpeg path; 16 px:
    // shrunk by jpeg-decoder. Both read the EXIF.
    for size in ["64", "8"] {
        let out = dir.path().join(format!("out{size}"));
        bin().args(["thumbs", "--sizes", size, "-o"]).arg(&out).arg(&input).assert().success();
        let got = centre_at(&out.join(format!("DSC_0001_{size}.JPG")));
        let want = in_srgb(&ColorProfile::new_adobe_rgb(), green);
        assert!(close(got, want, 4), "{size} px: got {got:?}, want {want:?}");
    }
}

fn centre_at(path: &Path) -> [u8; 3] {
    let img = image::open(path).unwrap().to_rgb8();
    img.get_pixel(img.width() / 2, img.height() / 2).0
}

/// A 16-bit ProPhoto gradient is converted before it is cut to 8 bits: every
/// output pixel is within one level of the exact conversion of the 16-bit
/// source, where converting the 8-bit cut (the old order) is several levels
/// off on saturated colours (ProPhoto's steps are wider than sRGB's).
#[test]
fn a_16_bit_prophoto_png_is_converted_before_the_cut_to_8_bits() {
    use image::codecs::png::PngEncoder;
    use image::{ImageBuffer, ImageEncoder, Rgb};
    let prophoto = ColorProfile::new_pro_photo_rgb();
    let src: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_fn(128, 32, |x, y| {
        Rgb([(x * 512 + y * 7) as u16, (x * 150 + 9000) as u16, (y * 600) as u16])
    });
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    let mut png = Vec::new();
    let mut enc = PngEncoder::new(&mut png);
    enc.set_icc_profile(prophoto.encode().unwrap()).unwrap();
    image::DynamicImage::ImageRgb16(src.clone()).write_with_encoder(enc).unwrap();
    fs::write(input.join("wide.png"), &png).unwrap();
    let out = dir.path().join("out");
    // Larger than the image and no --upscale: the pixels are not resampled.
    bin().args(["thumbs", "--sizes", "256", "--format", "png", "-o"]).arg(&out).arg(&input).assert().success();
    let got = image::open(out.join("wide_256.png")).unwrap().to_rgb8();
    assert_eq!(got.dimensions(), (128, 32));

    let opts = TransformOptions::default();
    let t16 = prophoto.create_transform_16bit(Layout::Rgb, &ColorProfile::new_srgb(), Layout::Rgb, opts).unwrap();
    let mut exact = vec![0u16; src.as_raw().len()];
    t16.transform(src.as_raw(), &mut exact).unwrap();
    let cut: Vec<u8> = src.as_raw().iter().map(|&v| ((v as u32 * 255 + 32767) / 65535) as u8).collect();
    let t8 = prophoto.create_transform_8bit(Layout::Rgb, &ColorProfile::new_srgb(), Layout::Rgb, opts).unwrap();
    let mut late = vec![0u8; cut.len()];
    t8.transform(&cut, &mut late).unwrap();
    let max_off = |px: &[u8]| {
        px.iter()
            .zip(&exact)
            .map(|(&a, &e)| (a as i32 - ((e as u32 * 255 + 32767) / 65535) as i32).abs())
            .max()
            .unwrap()
    };
    assert!(max_off(&late) > 1, "the test image does not tell the two orders apart");
    assert!(max_off(got.as_raw()) <= 1, "off by {} levels", max_off(got.as_raw()));
}
