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

#[test]
fn a_grid_of_tiles_cropped_and_turned_as_phones_write_it() {
    let out = tempfile::tempdir().unwrap();
    thumb(&heif("grid.heic"), out.path(), 128, "png");
    let reference = lake(out.path(), 128);
    // 2x2 tiles of 192x192 cropped to 320x213, then irot 90° clockwise.
    let turned = image::open(out.path().join("grid_128.png")).unwrap().to_rgb8();
    assert_eq!(turned.dimensions(), (85, 128));
    let d = mean_diff(&turned, &reference.rotate90().to_rgb8());
    assert!(d < 8.0, "grid.heic vs the turned photo: {d}");
}

#[test]
fn heic_alpha_and_ten_bit_avif() {
    let out = tempfile::tempdir().unwrap();
    thumb(&heif("alpha-hevc.heic"), out.path(), 128, "png");
    let hevc = image::open(out.path().join("alpha-hevc_128.png")).unwrap().to_rgba8();
    assert_eq!(hevc.dimensions(), (128, 96));
    assert!(hevc.pixels().any(|p| p[3] == 0) && hevc.pixels().any(|p| p[3] == 255));
    // The same logo through x265 and libaom: the alpha planes agree.
    thumb(&heif("alpha.avif"), &out.path().join("av1"), 128, "png");
    let av1 = image::open(out.path().join("av1/alpha_128.png")).unwrap().to_rgba8();
    let alpha_diff =
        hevc.pixels().zip(av1.pixels()).map(|(a, b)| a[3].abs_diff(b[3]) as f64).sum::<f64>() / (128.0 * 96.0);
    assert!(alpha_diff < 4.0, "alpha planes differ by {alpha_diff}");

    thumb(&heif("deep-av1.avif"), out.path(), 128, "png");
    let deep = image::open(out.path().join("deep-av1_128.png")).unwrap().to_rgb8();
    assert_eq!(deep.dimensions(), (128, 85));
    let d = mean_diff(&deep, &lake(out.path(), 128).to_rgb8());
    assert!(d < 8.0, "10-bit AVIF vs the photo: {d}");
}

#[test]
fn xmp_in_a_heic_is_kept_with_keep_metadata() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["thumbs", "--keep-metadata", "--sizes", "64", "--format", "jpeg", "-o"])
        .arg(out.path())
        .arg(heif("alpha-hevc.heic"))
        .assert()
        .success();
    let jpeg = fs::read(out.path().join("alpha-hevc_64.jpg")).unwrap();
    let has = |needle: &[u8]| jpeg.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"http://ns.adobe.com/xap/1.0/\0"), "no XMP segment");
    assert!(has(b"imgbatch fixtures"), "not the HEIC's XMP");
}

#[test]
fn cut_and_damaged_heic_and_avif_fail_alone_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = fs::read(heif("grid.heic")).unwrap();
    fs::write(d.join("cut.heic"), &grid[..grid.len() * 2 / 3]).unwrap();
    let mut av1 = fs::read(heif("deep-av1.avif")).unwrap();
    // Scramble the coded picture (the end of the file, after the boxes).
    let n = av1.len();
    for b in &mut av1[n - n / 3..] {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    fs::write(d.join("scrambled.avif"), av1).unwrap();
    // A grid that claims 50000x50000 pixels in its `ispe`.
    let mut huge = grid.clone();
    let ispe = [&b"ispe\0\0\0\0"[..], &320u32.to_be_bytes(), &213u32.to_be_bytes()].concat();
    let at = huge.windows(ispe.len()).position(|w| w == ispe).expect("the grid's ispe");
    huge[at + 8..at + 16].copy_from_slice(&[&50_000u32.to_be_bytes()[..], &50_000u32.to_be_bytes()].concat());
    fs::write(d.join("huge.heic"), huge).unwrap();
    fs::copy(heif("irot.heic"), d.join("good.heic")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = bin().args(["thumbs", "--sizes", "64", "--json", "-o"]).arg(out.path()).arg(d).assert().code(1);
    let r = json(&o.get_output().stdout);
    assert_eq!(r["summary"]["ok"], 1, "{r}");
    assert_eq!(r["summary"]["failed"], 3, "{r}");
    let error = |name: &str| {
        let f = r["files"].as_array().unwrap().iter().find(|f| f["input"].as_str().unwrap().ends_with(name));
        f.unwrap()["error"].as_str().unwrap().to_string()
    };
    assert!(error("huge.heic").contains("50000x50000"), "{}", error("huge.heic"));
    assert!(error("cut.heic").contains("truncated HEIC"), "{}", error("cut.heic"));
    // rav1d panics inside its C-ABI entry points on some damaged streams,
    // which aborts: the worker process dies, the file alone fails.
    let scrambled = error("scrambled.avif");
    assert!(scrambled.contains("AVIF") || scrambled.contains("decoder crashed"), "{scrambled}");
}
