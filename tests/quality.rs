//! `--target SCORE` and `--max-size BYTES`: each lossy output's quality
//! searched for the smallest file meeting a SSIMULACRA2 score or a size.
mod common;
use std::path::Path;

use common::*;
use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};

/// A photo-like picture: gradients, edges and grain.
fn photo(w: u32, h: u32) -> RgbImage {
    let mut s = 7u32;
    RgbImage::from_fn(w, h, |x, y| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let g = (s % 32) as u8;
        let edge = if (x / 40 + y / 30) % 2 == 0 { 60 } else { 0 };
        Rgb([(x * 180 / w) as u8 + g, (y * 150 / h) as u8 + edge, 80 + g])
    })
}

fn run(input: &Path, out: &Path, args: &[&str]) -> serde_json::Value {
    let o = bin().args(["resize", "--json", "-o"]).arg(out).args(args).arg(input).assert().success();
    json(&o.get_output().stdout)
}

fn outputs(r: &serde_json::Value) -> Vec<serde_json::Value> {
    r["files"].as_array().unwrap().iter().flat_map(|f| f["outputs"].as_array().unwrap().clone()).collect()
}

#[test]
fn every_output_reaches_the_target_with_at_most_five_encodes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.png");
    photo(640, 427).save(&file).unwrap();
    for (format, target) in [("jpeg", 70.0), ("jpeg", 85.0), ("webp", 75.0)] {
        let out = dir.path().join(format!("{format}{target}"));
        let t = target.to_string();
        let r = run(&file, &out, &["-W", "600", "--format", format, "--target", &t]);
        for o in outputs(&r) {
            let c = &o["chosen"];
            let score = c["score"].as_f64().unwrap();
            assert!(score >= target || c["note"].is_string(), "{format} {target}: {o}");
            assert!(c["encodes"].as_u64().unwrap() <= 5, "{o}");
            assert!((1..=100).contains(&c["quality"].as_u64().unwrap()));
            // The file is the one reported.
            let path = o["path"].as_str().unwrap();
            assert_eq!(std::fs::metadata(path).unwrap().len(), o["bytes"].as_u64().unwrap());
        }
        let s = &r["summary"];
        assert!(s["default_bytes"].as_u64().unwrap() > 0, "{s}");
    }
}

#[test]
fn a_low_target_saves_bytes_and_a_high_one_spends_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.png");
    photo(640, 427).save(&file).unwrap();
    let r = run(&file, &dir.path().join("low"), &["-W", "600", "--format", "jpeg", "--target", "60"]);
    let s = &r["summary"];
    assert!(s["searched_bytes"].as_u64() < s["default_bytes"].as_u64(), "{s}");
    let r = run(&file, &dir.path().join("high"), &["-W", "600", "--format", "jpeg", "--target", "92"]);
    let s = &r["summary"];
    assert!(s["searched_bytes"].as_u64() > s["default_bytes"].as_u64(), "{s}");
}

#[test]
fn a_size_cap_is_kept_and_a_cap_too_small_makes_the_image_smaller() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.png");
    photo(1200, 800).save(&file).unwrap();
    let r = run(&file, &dir.path().join("cap"), &["-W", "1200", "--format", "jpeg", "--max-size", "60K"]);
    let o = &outputs(&r)[0];
    assert!(o["bytes"].as_u64().unwrap() <= 60 * 1024, "{o}");
    assert!(o["chosen"]["score"].is_number(), "the report gives the score reached: {o}");
    let r = run(&file, &dir.path().join("tiny"), &["-W", "1200", "--format", "jpeg", "--max-size", "8K"]);
    let o = &outputs(&r)[0];
    assert!(o["bytes"].as_u64().unwrap() <= 8 * 1024, "{o}");
    assert!(o["width"].as_u64().unwrap() < 1200, "{o}");
    assert!(o["chosen"]["note"].as_str().unwrap().contains("--max-size"), "{o}");
}

#[test]
fn odd_inputs_flat_tiny_alpha_and_lossless() {
    let dir = tempfile::tempdir().unwrap();
    let flat = dir.path().join("flat.png");
    RgbImage::from_pixel(300, 200, Rgb([90, 140, 200])).save(&flat).unwrap();
    let tiny = dir.path().join("tiny.png");
    photo(6, 5).save(&tiny).unwrap();
    let alpha = dir.path().join("alpha.png");
    let img = RgbaImage::from_fn(200, 150, |x, y| Rgba([(x + y) as u8, 120, 40, if x < 100 { 255 } else { 0 }]));
    DynamicImage::ImageRgba8(img).save(&alpha).unwrap();
    // A flat image meets any target at the lowest quality the search reaches.
    let r = run(&flat, &dir.path().join("f"), &["-W", "300", "--format", "jpeg", "--target", "90"]);
    assert!(outputs(&r)[0]["chosen"]["score"].as_f64().unwrap() >= 90.0);
    // Too small to score: written at the default quality, no score.
    let r = run(&tiny, &dir.path().join("t"), &["-W", "6", "--format", "jpeg", "--target", "90"]);
    let c = &outputs(&r)[0]["chosen"];
    assert!(c["score"].is_null(), "{c}");
    // Alpha in WebP is judged over grey, and kept.
    let out = dir.path().join("a");
    let r = run(&alpha, &out, &["-W", "200", "--format", "webp", "--target", "80"]);
    assert!(outputs(&r)[0]["chosen"]["score"].as_f64().unwrap() >= 80.0);
    assert!(image::open(out.join("alpha.webp")).unwrap().color().has_alpha());
    // PNG is lossless: nothing to search, and the run says so.
    let o = bin()
        .args(["resize", "--json", "-W", "200", "--format", "png", "--target", "80", "-o"])
        .arg(dir.path().join("p"))
        .arg(&alpha)
        .assert()
        .success();
    assert!(outputs(&json(&o.get_output().stdout))[0]["chosen"].is_null());
    let stderr = String::from_utf8_lossy(&o.get_output().stderr);
    assert!(stderr.contains("warning: --target and --max-size do not apply to PNG"), "{stderr}");
}

#[test]
fn a_target_out_of_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.png");
    photo(64, 64).save(&file).unwrap();
    bin().args(["resize", "-W", "32", "--target", "120", "-o"]).arg(dir.path().join("o")).arg(&file).assert().code(2);
}

#[test]
fn thumbs_search_every_size_and_a_rerun_with_another_target_remakes_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.png");
    photo(640, 427).save(&file).unwrap();
    let out = dir.path().join("tn");
    let thumbs = |target: &str| {
        let o = bin()
            .args(["thumbs", "--json", "--sizes", "64,200", "--format", "jpeg", "--target", target, "-o"])
            .arg(&out)
            .arg(&file)
            .assert()
            .success();
        json(&o.get_output().stdout)
    };
    let r = thumbs("75");
    let outs = outputs(&r);
    assert_eq!(outs.len(), 2);
    // Each size searched on its own; one the encoder cannot bring to the
    // target (4:2:0 loses this grain's colour at 64 px) says so.
    for o in &outs {
        let c = &o["chosen"];
        assert!(c["score"].as_f64().unwrap() >= 75.0 || c["note"].is_string(), "{o}");
    }
    assert!(outs[1]["chosen"]["score"].as_f64().unwrap() >= 75.0, "{outs:?}");
    assert_eq!(thumbs("75")["summary"]["skipped"], 1, "same target: up to date");
    assert_eq!(thumbs("85")["summary"]["ok"], 1, "another target: made again");
}

/// The sampling byte (h << 4 | v) of each component in a JPEG's frame header.
fn sampling(jpeg: &[u8]) -> Vec<u8> {
    let at = jpeg.windows(2).position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2)).expect("a frame header");
    let n = jpeg[at + 9] as usize;
    (0..n).map(|i| jpeg[at + 11 + 3 * i]).collect()
}

#[test]
fn full_chroma_reaches_a_score_that_half_chroma_cannot() {
    // Colour noise: 4:2:0 throws away half of what makes its score.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grain.png");
    let mut s = 11u32;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s as u8
    };
    RgbImage::from_fn(300, 200, |_, _| Rgb([next(), next(), next()])).save(&file).unwrap();
    let r = run(&file, &dir.path().join("j"), &["-W", "256", "--format", "jpeg", "--target", "85"]);
    let o = &outputs(&r)[0];
    let c = &o["chosen"];
    assert!(c["score"].as_f64().unwrap() >= 85.0, "{o}");
    assert!(c["note"].as_str().unwrap().contains("4:4:4"), "{o}");
    let bytes = std::fs::read(o["path"].as_str().unwrap()).unwrap();
    assert_eq!(sampling(&bytes), [0x11, 0x11, 0x11], "{o}");
    // A photo that 4:2:0 serves keeps it.
    let photo_file = dir.path().join("photo.png");
    photo(640, 427).save(&photo_file).unwrap();
    let r = run(&photo_file, &dir.path().join("p"), &["-W", "600", "--format", "jpeg", "--target", "70"]);
    let o = &outputs(&r)[0];
    assert!(o["chosen"]["note"].is_null(), "{o}");
    let bytes = std::fs::read(o["path"].as_str().unwrap()).unwrap();
    assert_eq!(sampling(&bytes)[0], 0x22, "{o}");
}

#[test]
fn the_scores_memory_is_charged_to_the_budget() {
    // 1200x800: the decode fits 60 MiB, the scorer's planes (~140 MiB) do not.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.png");
    photo(1200, 800).save(&file).unwrap();
    let args = ["resize", "-W", "1200", "--format", "jpeg", "--max-memory", "60M", "--json", "-o"];
    bin().args(args).arg(dir.path().join("fixed")).arg(&file).assert().success();
    let o = bin().args(args).arg(dir.path().join("searched")).args(["--target", "80"]).arg(&file).assert().code(1);
    let r = json(&o.get_output().stdout);
    let f = &r["files"][0];
    assert_eq!(f["status"], "failed", "{f}");
    assert!(f["error"].as_str().unwrap().contains("--max-memory"), "{f}");
    assert!(!dir.path().join("searched/photo.jpg").exists());
}
