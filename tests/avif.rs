//! `--format avif`: a real AVIF (ISO BMFF `ftyp avif`, the output's size in
//! `ispe`, an alpha auxiliary image when the input has alpha), chroma
//! 4:2:0 unless `--subsampling` says otherwise, quality 50 unless told, and
//! `--effort` bounds. The pixels are checked by reading the output back
//! below and by tests/colour-vips.sh (libvips). Only in builds with
//! an AVIF encoder (tests/no_avif_encoder.rs covers the others).
#![cfg(any(feature = "avif-rav1e", feature = "avif-libaom"))]

mod common;

use std::fs;
use std::path::Path;

use common::{bin, photos};

fn avif(input: &Path, out: &Path, extra: &[&str]) -> Vec<u8> {
    bin()
        .args(["resize", "--width", "64", "--format", "avif", "-o"])
        .arg(out)
        .arg(input)
        .args(extra)
        .assert()
        .success();
    let stem = input.file_stem().unwrap().to_str().unwrap();
    fs::read(out.join(format!("{stem}.avif"))).unwrap()
}

/// Width and height from the first `ispe` box.
fn ispe(b: &[u8]) -> (u32, u32) {
    let at = b.windows(4).position(|w| w == b"ispe").expect("ispe box") + 8;
    let be = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    (be(at), be(at + 4))
}

/// Whether an auxiliary image of type alpha is declared (its `auxC` URN).
fn has_alpha_plane(b: &[u8]) -> bool {
    b.windows(44).any(|w| w == b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\0")
}

/// AV1 profile and chroma subsampling (x, y) from the first `av1C` box:
/// the colour image's.
fn av1c(b: &[u8]) -> (u8, bool, bool) {
    let at = b.windows(4).position(|w| w == b"av1C").expect("av1C box") + 4;
    assert_eq!(b[at], 0x81, "av1C marker and version");
    let flags = b[at + 2];
    (b[at + 1] >> 5, flags & 0x08 != 0, flags & 0x04 != 0)
}

#[test]
fn chroma_is_4_2_0_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let lake = photos().join("lake.jpg");
    assert_eq!(av1c(&avif(&lake, &dir.path().join("d"), &[])), (0, true, true), "default: Main profile, 4:2:0");
    let cases = [("4:2:2", (2, true, false)), ("4:4:4", (1, false, false))];
    for (flag, want) in cases {
        let b = avif(&lake, &dir.path().join(flag.replace(':', "")), &["--subsampling", flag]);
        assert_eq!(av1c(&b), want, "--subsampling {flag}");
        assert_eq!(ispe(&b), (64, 43));
    }
}

#[test]
fn a_photo_becomes_an_avif_of_the_right_size() {
    let dir = tempfile::tempdir().unwrap();
    let b = avif(&photos().join("lake.jpg"), dir.path(), &[]);
    assert_eq!(&b[4..12], b"ftypavif", "not an AVIF file");
    assert_eq!(ispe(&b), (64, 43));
    assert!(!has_alpha_plane(&b), "an opaque photo got an alpha plane");
}

#[test]
fn alpha_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("logo.png");
    let img = image::RgbaImage::from_fn(96, 64, |x, y| image::Rgba([200, 40, 40, if x + y < 60 { 0 } else { 255 }]));
    img.save(&input).unwrap();
    let b = avif(&input, &dir.path().join("out"), &[]);
    assert_eq!(ispe(&b), (64, 43));
    assert!(has_alpha_plane(&b), "alpha dropped");
}

#[test]
fn quality_defaults_to_50_and_effort_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("noise.png");
    fs::write(&input, common::noise_png(96, 96, 7)).unwrap();
    let default = avif(&input, &dir.path().join("d"), &[]);
    let q50 = avif(&input, &dir.path().join("q50"), &["--quality", "50"]);
    let q90 = avif(&input, &dir.path().join("q90"), &["--quality", "90"]);
    assert_eq!(default.len(), q50.len(), "default quality is not 50");
    assert!(q90.len() > q50.len() * 3 / 2, "q90 {} vs q50 {}", q90.len(), q50.len());
    let fast = avif(&input, &dir.path().join("e0"), &["--effort", "0"]);
    assert!(!fast.is_empty());
    bin()
        .args(["resize", "--width", "64", "--format", "avif", "--effort", "11", "-o"])
        .arg(dir.path().join("x"))
        .arg(&input)
        .assert()
        .code(2);
}

/// imgbatch reads its own AVIF back: same size, colours within a few
/// levels of the lossless PNG of the same resize.
#[test]
fn the_avif_reads_back_close_to_the_png() {
    let dir = tempfile::tempdir().unwrap();
    avif(&photos().join("lake.jpg"), &dir.path().join("a"), &["--quality", "90"]);
    bin()
        .args(["resize", "--width", "64", "--format", "png", "-o"])
        .arg(dir.path().join("p"))
        .arg(photos().join("lake.jpg"))
        .assert()
        .success();
    // AVIF → PNG at the same size: a straight decode.
    bin()
        .args(["resize", "--width", "64", "--format", "png", "-o"])
        .arg(dir.path().join("back"))
        .arg(dir.path().join("a/lake.avif"))
        .assert()
        .success();
    let back = image::open(dir.path().join("back/lake.png")).unwrap().to_rgb8();
    let png = image::open(dir.path().join("p/lake.png")).unwrap().to_rgb8();
    assert_eq!(back.dimensions(), png.dimensions());
    let diff = common::mean_diff(&back, &png);
    assert!(diff < 4.0, "mean difference {diff} levels");
}

#[test]
fn a_strip_taller_than_libaoms_limit_is_still_encoded() {
    // libaom 3.6.0 (the heif build's) refuses images over 8704 px high or
    // about 35 MP; rav1e encodes those. 1x16383 is a valid strip.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("strip.png");
    image::RgbImage::from_fn(1, 16383, |_, y| image::Rgb([(y % 256) as u8, 90, 200])).save(&input).unwrap();
    let out = dir.path().join("out");
    bin().args(["resize", "--height", "16383", "--format", "avif", "-o"]).arg(&out).arg(&input).assert().success();
    let b = fs::read(out.join("strip.avif")).unwrap();
    assert_eq!(ispe(&b), (1, 16383));
}
