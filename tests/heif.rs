//! HEIC and AVIF input, in every build: orientation from `irot`
//! only, the primary image, 10-bit to 8-bit, alpha and the ICC profile.
mod common;
use common::*;
use std::fs;
use std::path::Path;

use image::ImageDecoder;

fn heif(name: &str) -> std::path::PathBuf {
    fixtures().join("formats/heif").join(name)
}

/// A thumbnail with the input's colours and profile as stored (--colour
/// keep): these tests check decoding; tests/colour.rs checks conversion.
fn thumb(input: &Path, out: &Path, size: u32, format: &str) {
    bin()
        .args(["thumbs", "--colour", "keep", "--sizes", &size.to_string(), "--format", format, "-o"])
        .arg(out)
        .arg(input)
        .assert()
        .success();
}

/// Our own PNG thumbnail of fixtures/photos/lake.jpg, fitting `size`.
fn lake(out: &Path, size: u32) -> image::DynamicImage {
    thumb(&photos().join("lake.jpg"), &out.join("ref"), size, "png");
    image::open(out.join("ref").join(format!("lake_{size}.png"))).unwrap()
}

#[test]
fn irot_turns_the_image_and_exif_orientation_does_not() {
    let out = tempfile::tempdir().unwrap();
    thumb(&heif("irot.heic"), out.path(), 128, "png");
    thumb(&heif("exif-only.heic"), out.path(), 128, "png");
    let reference = lake(out.path(), 128);
    // irot (90° clockwise) on a 320x213 landscape: an upright portrait.
    let turned = image::open(out.path().join("irot_128.png")).unwrap().to_rgb8();
    assert_eq!(turned.dimensions(), (85, 128));
    let d = mean_diff(&turned, &reference.rotate90().to_rgb8());
    assert!(d < 8.0, "irot.heic vs the turned photo: {d}");
    // Only an EXIF Orientation 6 inside: kept as stored, as libvips does.
    let stored = image::open(out.path().join("exif-only_128.png")).unwrap().to_rgb8();
    assert_eq!(stored.dimensions(), (128, 85));
    let d = mean_diff(&stored, &reference.to_rgb8());
    assert!(d < 8.0, "exif-only.heic vs the photo as stored: {d}");
}

#[test]
fn ten_bit_heic_keeps_its_colours_and_profile() {
    let out = tempfile::tempdir().unwrap();
    thumb(&heif("deep.heic"), out.path(), 64, "png");
    let path = out.path().join("deep_64.png");
    let img = image::open(&path).unwrap().to_rgb8();
    // (40000, 20000, 60000) / 65535 in 8 bits.
    let p = img.get_pixel(10, 10).0;
    for (got, want) in p.iter().zip([155u8, 78, 233]) {
        assert!(got.abs_diff(want) <= 2, "{p:?}");
    }
    let mut dec = image::codecs::png::PngDecoder::new(std::io::BufReader::new(fs::File::open(&path).unwrap())).unwrap();
    let icc = dec.icc_profile().unwrap().expect("the Display P3 profile is carried");
    assert_eq!(&icc[36..40], b"acsp");
    // jxl-oxide names it "Rgb_Relative_D65_P3_Srgb" (UTF-16BE).
    assert!(icc.windows(6).any(|w| w == b"\0P\x003\0_"), "not the P3 profile");
}

#[test]
fn an_nclx_colour_description_becomes_an_icc_profile() {
    let out = tempfile::tempdir().unwrap();
    thumb(&heif("p3-nclx.avif"), out.path(), 32, "png");
    thumb(&heif("alpha.avif"), out.path(), 32, "png");
    let icc = |name: &str| {
        let f = fs::File::open(out.path().join(name)).unwrap();
        image::codecs::png::PngDecoder::new(std::io::BufReader::new(f)).unwrap().icc_profile().unwrap()
    };
    let p3 = icc("p3-nclx_32.png").expect("Display P3 nclx gives an ICC profile");
    assert!(p3.windows(6).any(|w| w == b"\0P\x003\0_"), "not a P3 profile");
    // nclx saying sRGB needs no profile.
    assert!(icc("alpha_32.png").is_none());
    // By default the P3 image is converted: sRGB pixels and no profile.
    let srgb = tempfile::tempdir().unwrap();
    bin()
        .args(["thumbs", "--sizes", "32", "--format", "png", "-o"])
        .arg(srgb.path())
        .arg(heif("p3-nclx.avif"))
        .assert()
        .success();
    let f = fs::File::open(srgb.path().join("p3-nclx_32.png")).unwrap();
    assert!(image::codecs::png::PngDecoder::new(std::io::BufReader::new(f)).unwrap().icc_profile().unwrap().is_none());
}

#[test]
fn avif_alpha_and_the_primary_image_of_a_multi_image_file() {
    let out = tempfile::tempdir().unwrap();
    thumb(&heif("alpha.avif"), out.path(), 128, "png");
    let logo = image::open(out.path().join("alpha_128.png")).unwrap();
    assert_eq!((logo.width(), logo.height()), (128, 96));
    assert!(logo.to_rgba8().pixels().any(|p| p[3] == 0) && logo.to_rgba8().pixels().any(|p| p[3] == 255));
    // Red first, blue second and primary.
    thumb(&heif("multi.heic"), out.path(), 32, "png");
    let p = image::open(out.path().join("multi_32.png")).unwrap().to_rgb8().get_pixel(16, 12).0;
    assert!(p[2] > 180 && p[0] < 60, "not the primary (blue) image: {p:?}");
}

#[test]
fn a_phone_export_comes_out_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_jpeg(&d.join("IMG_0001.JPG"), 300, 200);
    fs::copy(heif("irot.heic"), d.join("IMG_0002.HEIC")).unwrap();
    fs::copy(heif("exif-only.heic"), d.join("IMG_0003.HEIC")).unwrap();
    fs::copy(heif("alpha.avif"), d.join("IMG_0004.avif")).unwrap();
    fs::copy(fixtures().join("formats/jxl/rotated.jxl"), d.join("IMG_0005.jxl")).unwrap();
    fs::copy(fixtures().join("formats/raw/IMG_1001.dng"), d.join("IMG_1001.DNG")).unwrap();
    fs::write(d.join("IMG_0002.MOV"), b"\0\0\0\x14ftypqt  \0\0\0\0qt  ").unwrap();
    fs::write(d.join("IMG_0002.AAE"), b"<?xml version=\"1.0\"?><plist/>\n").unwrap();
    fs::write(d.join("notes.txt"), b"x\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    // --format same: HEIC and AVIF become JPEG.
    let o = bin().args(["thumbs", "--sizes", "128", "--json", "-o"]).arg(out.path()).arg(d).assert().success();
    let r = json(&o.get_output().stdout);
    assert_eq!(r["summary"]["ok"], 6, "{r}");
    assert_eq!(r["summary"]["failed"], 0, "{r}");
    assert_eq!(r["summary"]["not_images"], 3);
    let files = files_under(out.path());
    // The JPEG keeps its extension as written; the other formats become .jpg.
    let want = [
        "IMG_0001_128.JPG",
        "IMG_0002_128.jpg",
        "IMG_0003_128.jpg",
        "IMG_0004_128.jpg",
        "IMG_0005_128.jpg",
        "IMG_1001_128.jpg",
    ];
    assert_eq!(files, want);
    assert_eq!(dims(&out.path().join("IMG_0005_128.jpg")), (85, 128));
    assert_eq!(dims(&out.path().join("IMG_0002_128.jpg")), (85, 128));
    assert_eq!(dims(&out.path().join("IMG_0003_128.jpg")), (128, 85));
}
