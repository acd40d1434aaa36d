//! `imgbatch resize`: fit modes, one-sided boxes, background, alpha.
mod common;
use common::*;
use std::path::Path;

fn resize(args: &[&str], input: &Path) -> (tempfile::TempDir, std::path::PathBuf) {
    let out = tempfile::tempdir().unwrap();
    bin().arg("resize").args(args).arg("-o").arg(out.path()).arg(input).assert().success();
    let name = input.file_stem().unwrap().to_string_lossy().to_string();
    let file = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_stem().unwrap().to_string_lossy() == name)
        .unwrap();
    (out, file)
}

#[test]
fn every_fit_mode_gives_its_size() {
    let lake = photos().join("lake.jpg"); // 1600x1067
    for (fit, want) in [
        ("inside", (400, 267)),
        ("cover", (400, 400)),
        ("contain", (400, 400)),
        ("fill", (400, 400)),
        ("outside", (600, 400)),
    ] {
        let (_d, f) = resize(&["--width", "400", "--height", "400", "--fit", fit], &lake);
        assert_eq!(dims(&f), want, "{fit}");
    }
}

#[test]
fn one_side_follows_the_aspect_ratio() {
    let lake = photos().join("lake.jpg");
    let (_d, f) = resize(&["--width", "800"], &lake);
    assert_eq!(dims(&f), (800, 534));
    let (_d, f) = resize(&["--height", "200"], &lake);
    assert_eq!(dims(&f), (300, 200));
}

#[test]
fn resize_keeps_the_file_name_and_never_enlarges() {
    let (_d, f) = resize(&["--width", "1000"], &photos().join("2024/beach/small.jpg"));
    assert_eq!(f.file_name().unwrap(), "small.jpg");
    assert_eq!(dims(&f), (200, 150));
    let (_d, f) = resize(&["--width", "1000", "--upscale"], &photos().join("2024/beach/small.jpg"));
    assert_eq!(dims(&f), (1000, 750));
}

#[test]
fn contain_letterboxes_onto_the_background() {
    let lake = photos().join("lake.jpg");
    let corner = |bg: &str| {
        let (_d, f) =
            resize(&["-W", "300", "-H", "300", "--fit", "contain", "--format", "png", "--background", bg], &lake);
        let img = image::open(&f).unwrap().to_rgb8();
        (*img.get_pixel(0, 0), *img.get_pixel(150, 150))
    };
    let (c, mid) = corner("#ff0000");
    assert_eq!(c.0, [255, 0, 0]);
    assert_ne!(mid.0, [255, 0, 0]);
    assert_eq!(corner("black").0.0, [0, 0, 0]);
}

#[test]
fn alpha_is_flattened_onto_the_background_for_jpeg() {
    let logo = photos().join("2025/logo.png");
    let (_d, f) = resize(&["--width", "256", "--format", "jpeg", "--background", "#00ff00"], &logo);
    let img = image::open(&f).unwrap().to_rgb8();
    let p = img.get_pixel(0, 0).0;
    assert!(p[1] > 240 && p[0] < 15 && p[2] < 15, "{p:?}");
}

#[test]
fn resize_needs_a_box() {
    let out = tempfile::tempdir().unwrap();
    bin().args(["resize", "-o"]).arg(out.path()).arg(photos()).assert().code(2);
}

#[test]
fn bad_options_are_usage_errors() {
    let out = tempfile::tempdir().unwrap();
    for bad in [
        vec!["resize", "--width", "0"],
        vec!["resize", "--width", "10", "--fit", "squash"],
        vec!["thumbs", "--quality", "0"],
        vec!["thumbs", "--quality", "101"],
        vec!["thumbs", "--background", "blurple"],
        vec!["thumbs", "--workers", "0"],
        vec!["thumbs", "--format", "heic"],
    ] {
        bin().args(&bad).arg("-o").arg(out.path()).arg(photos()).assert().code(2);
    }
}

/// Shrink-on-load (JPEG decoded at 1/2–1/8 scale) must not change what the
/// user gets: same sizes, and pixels within a small mean difference of a
/// full decode, for plain, rotated and cropped outputs.
#[test]
fn shrink_on_load_matches_a_full_decode() {
    let (fast, full) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = ["thumbs", "--sizes", "64,200", "--crop", "-o"];
    bin().args(args).arg(fast.path()).arg(photos()).assert().success();
    bin().args(args).arg(full.path()).arg("--no-shrink-on-load").arg(photos()).assert().success();
    let files = files_under(full.path());
    assert_eq!(files_under(fast.path()), files);
    let mut compared = 0;
    for f in files.iter().filter(|f| f.ends_with(".jpg")) {
        let a = image::open(fast.path().join(f)).unwrap().to_rgb8();
        let b = image::open(full.path().join(f)).unwrap().to_rgb8();
        assert_eq!(a.dimensions(), b.dimensions(), "{f}");
        let d = mean_diff(&a, &b);
        assert!(d < 2.0, "{f}: mean difference {d:.2} from the full decode");
        compared += 1;
    }
    assert!(compared >= 8, "{compared} JPEG outputs compared");
}

/// `--fast-shrink-on-load` shrinks down to the output size itself (sharp's
/// default): a 2400-px JPEG for a 1000-px output is decoded at 1/2, which
/// the default (twice the output kept) decodes whole. `--max-pixels` guards
/// what is held, so it shows which: 1200x800 fits under 1 MP, 2400x1600 not.
/// The picture stays close to the full decode. (The pure-Rust build shrinks
/// JPEGs from 1/4 on only.)
#[cfg(feature = "jpeg-turbo")]
#[test]
fn fast_shrink_on_load_decodes_down_to_the_output_size() {
    let dir = tempfile::tempdir().unwrap();
    write_jpeg(&dir.path().join("p.jpg"), 2400, 1600);
    let run = |extra: &[&str], out: &std::path::Path, code: i32| {
        let o = bin()
            .args(["resize", "--width", "1000", "--max-pixels", "1000000", "--json", "-o"])
            .arg(out)
            .args(extra)
            .arg(dir.path())
            .assert()
            .code(code);
        json(&o.get_output().stdout)
    };
    let (fast, safe) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let r = run(&["--fast-shrink-on-load"], fast.path(), 0);
    assert_eq!(entry(&r, "p.jpg")["status"], "ok", "{r}");
    let r = run(&[], safe.path(), 1);
    assert_eq!(entry(&r, "p.jpg")["error"], "2400x1600 exceeds --max-pixels (1000000)");
    let full = tempfile::tempdir().unwrap();
    bin().args(["resize", "--width", "1000", "-o"]).arg(full.path()).arg(dir.path()).assert().success();
    let a = image::open(fast.path().join("p.jpg")).unwrap().to_rgb8();
    let b = image::open(full.path().join("p.jpg")).unwrap().to_rgb8();
    assert_eq!(a.dimensions(), (1000, 667));
    let d = mean_diff(&a, &b);
    assert!(d < 2.0, "mean difference {d:.2} from the full decode");
    // The two ways to set it conflict.
    bin()
        .args(["resize", "--width", "100", "--no-shrink-on-load", "--fast-shrink-on-load", "-o"])
        .arg(full.path())
        .arg(dir.path())
        .assert()
        .code(2);
}

/// The first SOF marker and the luma sampling factors of a JPEG.
fn sof_and_sampling(b: &[u8]) -> (u8, u8) {
    let i = b.windows(2).position(|m| m[0] == 0xFF && matches!(m[1], 0xC0..=0xC2)).expect("SOF");
    // FF Cn, length(2), precision, height(2), width(2), count, then id, sampling.
    (b[i + 1], b[i + 11])
}

#[test]
fn subsampling_and_progressive_are_honoured() {
    let cases: [(&[&str], u8, u8); 4] = [
        (&[], 0xC0, 0x22),
        (&["--subsampling", "4:4:4"], 0xC0, 0x11),
        (&["--subsampling", "422"], 0xC0, 0x21),
        (&["--progressive"], 0xC2, 0x22),
    ];
    for (args, sof, sampling) in cases {
        let out = tempfile::tempdir().unwrap();
        bin()
            .args(["resize", "--width", "300", "-o"])
            .arg(out.path())
            .args(args)
            .arg(photos().join("lake.jpg"))
            .assert()
            .success();
        let bytes = std::fs::read(out.path().join("lake.jpg")).unwrap();
        assert_eq!(sof_and_sampling(&bytes), (sof, sampling), "{args:?}");
        assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 300);
    }
}
