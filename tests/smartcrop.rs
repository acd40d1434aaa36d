//! Smart crops: `thumbs --crop attention|entropy`, `resize --fit cover
//! --position`, `--focus`. Every scene is made here: one clear subject near
//! an edge of a plain or noisy background, where a centre crop cuts it out.
mod common;
use std::path::Path;

use common::*;
use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};

#[derive(Clone, Copy, Debug)]
enum Subject {
    /// A face-like patch of skin tone.
    Skin,
    /// A strongly coloured patch.
    Saturated,
    /// A fine black-and-white checkerboard: edges, no colour.
    Detailed,
    /// Grey noise: information, no colour and no single edge.
    Noise,
}

const SKIN: [u8; 3] = [222, 170, 138];
const BLUE: [u8; 3] = [30, 70, 230];

/// A repeatable pseudo-random byte per pixel.
fn hash(x: u32, y: u32, seed: u32) -> u8 {
    let mut s = x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ seed.wrapping_mul(83_492_791);
    s ^= s >> 13;
    s = s.wrapping_mul(0x5bd1_e995);
    (s ^ (s >> 15)) as u8
}

/// A rectangle `x, y, w, h` of the displayed image.
type Rect = (u32, u32, u32, u32);

/// `w`×`h` with `subject` in `at`, over a plain (flat grey-blue) or noisy (±40 grey) background.
fn scene(w: u32, h: u32, subject: Subject, at: Rect, noisy: bool) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let inside = x >= at.0 && x < at.0 + at.2 && y >= at.1 && y < at.1 + at.3;
        if inside {
            return Rgb(match subject {
                Subject::Skin => SKIN,
                Subject::Saturated => BLUE,
                Subject::Detailed => [if (x / 3 + y / 3) % 2 == 0 { 20 } else { 235 }; 3],
                Subject::Noise => [hash(x, y, 7); 3],
            });
        }
        if noisy {
            let v = 120 + (hash(x, y, 1) as i32 * 80 / 255) - 40;
            Rgb([v as u8; 3])
        } else {
            Rgb([150, 155, 160])
        }
    })
}

/// A temporary folder holding `wide.png`: 600x300, skin near the top left corner.
fn wide_skin() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wide.png");
    scene(600, 300, Subject::Skin, (20, 20, 50, 50), false).save(&file).unwrap();
    (dir, file)
}

fn contains(b: &serde_json::Value, r: Rect) -> bool {
    let n = |k: &str| b[k].as_u64().unwrap_or_else(|| panic!("no {k} in {b}")) as u32;
    let (x, y, w, h) = (n("x"), n("y"), n("width"), n("height"));
    x <= r.0 && y <= r.1 && x + w >= r.0 + r.2 && y + h >= r.1 + r.3
}

/// Runs thumbs over `dir` and returns the JSON report.
fn thumbs(dir: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let o = bin().args(["thumbs", "--json", "-o"]).arg(out).args(extra).arg(dir).assert().success();
    json(&o.get_output().stdout)
}

fn crops(r: &serde_json::Value, name: &str) -> Vec<serde_json::Value> {
    entry(r, name)["outputs"].as_array().expect("outputs").iter().map(|o| o["crop"].clone()).collect()
}

/// The colour at the middle of `subject` as it lands in an output of a crop `b`.
fn colour_of_subject(out: &Path, b: &serde_json::Value, subject: Rect) -> [u8; 3] {
    let img = image::open(out).unwrap().to_rgb8();
    let k = img.width() as f64 / b["width"].as_f64().unwrap();
    let cx = (subject.0 as f64 + subject.2 as f64 / 2.0 - b["x"].as_f64().unwrap()) * k;
    let cy = (subject.1 as f64 + subject.3 as f64 / 2.0 - b["y"].as_f64().unwrap()) * k;
    img.get_pixel(cx as u32, cy as u32).0
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 30)
}

#[test]
fn attention_keeps_the_subject_that_the_centre_crop_cuts_at_every_size() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    // Landscape: subject at the left or right edge; portrait: top or bottom.
    let cases: Vec<(&str, u32, u32, Subject, Rect, bool)> = vec![
        ("skin-left-plain", 600, 300, Subject::Skin, (20, 110, 70, 80), false),
        ("skin-right-noisy", 600, 300, Subject::Skin, (505, 40, 70, 80), true),
        ("blue-top-noisy", 300, 600, Subject::Saturated, (110, 15, 70, 70), true),
        ("blue-left-plain", 640, 360, Subject::Saturated, (10, 200, 60, 60), false),
        ("detail-bottom-plain", 300, 600, Subject::Detailed, (100, 510, 80, 70), false),
        ("detail-right-plain", 600, 300, Subject::Detailed, (500, 100, 80, 80), false),
    ];
    for (name, w, h, s, at, noisy) in &cases {
        scene(*w, *h, *s, *at, *noisy).save(input.join(format!("{name}.png"))).unwrap();
    }
    let centre = thumbs(&input, &dir.path().join("centre"), &["--sizes", "64,128,256", "--crop"]);
    let out = dir.path().join("att");
    let smart = thumbs(&input, &out, &["--sizes", "64,128,256", "--crop", "attention"]);
    for (name, _, _, s, at, _) in &cases {
        let file = format!("{name}.png");
        // The test means something only where the centre crop loses the subject.
        assert!(!contains(&crops(&centre, &file)[0], *at), "{name}: centre crop already holds the subject");
        let boxes = crops(&smart, &file);
        assert_eq!(boxes.len(), 3);
        assert!(boxes.iter().all(|b| *b == boxes[0]), "{name}: one focal point for every size: {boxes:?}");
        assert!(contains(&boxes[0], *at), "{name}: attention crop {} misses the subject {at:?}", boxes[0]);
        for size in [64, 128, 256] {
            let thumb = out.join(format!("{name}_{size}.png"));
            assert_eq!(dims(&thumb), (size, size));
            let want = match s {
                Subject::Skin => Some(SKIN),
                Subject::Saturated => Some(BLUE),
                _ => None,
            };
            if let Some(want) = want {
                let got = colour_of_subject(&thumb, &boxes[0], *at);
                assert!(near(got, want), "{name} at {size}: {got:?} where the subject should be");
            }
        }
    }
}

#[test]
fn entropy_keeps_a_textured_subject_over_a_flat_background() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let cases: Vec<(&str, u32, u32, Rect)> = vec![
        ("noise-left", 600, 300, (15, 100, 80, 80)),
        ("noise-right", 600, 300, (500, 20, 90, 90)),
        ("noise-bottom", 300, 600, (110, 500, 80, 80)),
    ];
    for (name, w, h, at) in &cases {
        scene(*w, *h, Subject::Noise, *at, false).save(input.join(format!("{name}.png"))).unwrap();
    }
    let centre = thumbs(&input, &dir.path().join("centre"), &["--sizes", "100,200", "--crop", "centre"]);
    let r = thumbs(&input, &dir.path().join("ent"), &["--sizes", "100,200", "--crop", "entropy"]);
    for (name, _, _, at) in &cases {
        let file = format!("{name}.png");
        assert!(!contains(&crops(&centre, &file)[0], *at), "{name}: centre crop already holds it");
        let boxes = crops(&r, &file);
        assert_eq!(boxes[0], boxes[1], "{name}: one focal point for every size");
        assert!(contains(&boxes[0], *at), "{name}: entropy crop {} misses {at:?}", boxes[0]);
    }
}

#[test]
fn the_crop_is_placed_on_the_image_as_displayed() {
    // Shown upright, the skin patch is at the top of a portrait; stored,
    // the file is a landscape turned a quarter (EXIF orientation 6).
    let dir = tempfile::tempdir().unwrap();
    let at = (100, 20, 80, 80);
    let shown = scene(300, 600, Subject::Skin, at, false);
    let stored = image::imageops::rotate270(&shown);
    let file = dir.path().join("turned.jpg");
    std::fs::write(&file, jpeg_bytes(&stored, 92, Some(6), None)).unwrap();
    let out = dir.path().join("out");
    let r = thumbs(&file, &out, &["--sizes", "128", "--crop", "attention"]);
    let b = &crops(&r, "turned.jpg")[0];
    assert_eq!((b["width"].as_u64(), b["height"].as_u64()), (Some(300), Some(300)), "{b}");
    assert!(contains(b, at), "{b}");
    let got = colour_of_subject(&out.join("turned_128.jpg"), b, at);
    assert!(near(got, SKIN), "{got:?}");
}

#[test]
fn transparent_areas_never_draw_the_crop() {
    // A strongly coloured patch that is fully transparent on the left, a
    // visible skin patch on the right.
    let dir = tempfile::tempdir().unwrap();
    let img = RgbaImage::from_fn(600, 300, |x, y| match (x, y) {
        (10..90, 100..180) => Rgba([BLUE[0], BLUE[1], BLUE[2], 0]),
        (500..570, 100..180) => Rgba([SKIN[0], SKIN[1], SKIN[2], 255]),
        _ => Rgba([150, 155, 160, 255]),
    });
    let file = dir.path().join("alpha.png");
    DynamicImage::ImageRgba8(img).save(&file).unwrap();
    let out = dir.path().join("out");
    let r = thumbs(&file, &out, &["--sizes", "100", "--crop", "attention"]);
    let b = &crops(&r, "alpha.png")[0];
    assert!(contains(b, (500, 100, 70, 80)), "{b}");
}

#[test]
fn a_box_larger_than_the_source_falls_back_to_the_largest_square_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let at = (165, 30, 30, 40);
    let file = dir.path().join("small.png");
    scene(200, 100, Subject::Skin, at, false).save(&file).unwrap();
    let out = dir.path().join("out");
    let r = thumbs(&file, &out, &["--sizes", "64,256", "--crop", "attention"]);
    assert_eq!(r["summary"]["failed"], 0);
    // As the centre crop does without --upscale: the largest square, not enlarged.
    assert_eq!(dims(&out.join("small_256.png")), (100, 100));
    assert_eq!(dims(&out.join("small_64.png")), (64, 64));
    let boxes = crops(&r, "small.png");
    assert_eq!(boxes[0], boxes[1]);
    assert!(contains(&boxes[0], at), "{}", boxes[0]);
}

#[test]
fn resize_cover_takes_a_position_and_a_focus() {
    let dir = tempfile::tempdir().unwrap();
    let at = (110, 500, 70, 70);
    let file = dir.path().join("tall.png");
    scene(300, 600, Subject::Saturated, at, true).save(&file).unwrap();
    let run = |extra: &[&str]| {
        let out = tempfile::tempdir().unwrap();
        let o = bin()
            .args(["resize", "--json", "-W", "150", "-H", "100", "--fit", "cover", "-o"])
            .arg(out.path())
            .args(extra)
            .arg(&file)
            .assert()
            .success();
        let r = json(&o.get_output().stdout);
        assert_eq!(dims(&out.path().join("tall.png")), (150, 100));
        crops(&r, "tall.png")[0].clone()
    };
    let centre = run(&[]);
    assert_eq!(centre, serde_json::json!({"x": 0, "y": 200, "width": 300, "height": 200}));
    let b = run(&["--position", "attention"]);
    assert!(contains(&b, at), "{b}");
    let b = run(&["--position", "entropy"]);
    assert_eq!(b["width"], 300);
    // A focal point of the user's: as near the bottom as the crop can go.
    assert_eq!(run(&["--focus", "0.5,1"]), serde_json::json!({"x": 0, "y": 400, "width": 300, "height": 200}));
    assert_eq!(run(&["--focus", "0.5,0.25"]), serde_json::json!({"x": 0, "y": 50, "width": 300, "height": 200}));
}

#[test]
fn the_same_crops_whatever_the_workers_or_the_shard() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for i in 0..6u32 {
        let at = (20 + i * 90, 40 + i * 20, 60, 60);
        let s = if i % 2 == 0 { Subject::Skin } else { Subject::Saturated };
        scene(640, 360, s, at, i % 3 == 0).save(input.join(format!("s{i}.png"))).unwrap();
    }
    let boxes = |r: &serde_json::Value| {
        let mut v: Vec<(String, serde_json::Value)> = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["input"].as_str().unwrap().to_string(), f["outputs"][0]["crop"].clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let args = ["--sizes", "96", "--crop", "attention"];
    let one = boxes(&thumbs(&input, &dir.path().join("w1"), &[&args[..], &["--workers", "1"]].concat()));
    let two = boxes(&thumbs(&input, &dir.path().join("w2"), &[&args[..], &["--workers", "2"]].concat()));
    assert_eq!(one, two);
    let mut sharded = Vec::new();
    for k in ["0/2", "1/2"] {
        sharded.extend(boxes(&thumbs(&input, &dir.path().join("sh"), &[&args[..], &["--shard", k]].concat())));
    }
    sharded.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(one, sharded);
    assert_eq!(one.len(), 6);
    assert!(one.iter().all(|(_, b)| b.is_object()), "{one:?}");
}

#[test]
fn a_dry_run_gives_the_boxes_it_can_know_without_pixels() {
    let (dir, file) = wide_skin();
    let out = dir.path().join("out");
    let r = thumbs(&file, &out, &["--sizes", "100", "--crop", "--focus", "0,0", "--dry-run"]);
    assert_eq!(crops(&r, "wide.png")[0], serde_json::json!({"x": 0, "y": 0, "width": 300, "height": 300}));
    let r = thumbs(&file, &out, &["--sizes", "100", "--crop", "attention", "--dry-run"]);
    assert!(crops(&r, "wide.png")[0].is_null(), "attention needs the pixels");
    assert!(!out.join("wide_100.png").exists());
}

#[test]
fn changing_where_the_crop_goes_remakes_the_crops_only() {
    let (dir, file) = wide_skin();
    let out = dir.path().join("out");
    thumbs(&file, &out, &["--sizes", "100", "--crop"]);
    let r = thumbs(&file, &out, &["--sizes", "100", "--crop", "attention"]);
    assert_eq!(r["summary"]["ok"], 1, "{r}");
    let r = thumbs(&file, &out, &["--sizes", "100", "--crop", "attention"]);
    assert_eq!(r["summary"]["skipped"], 1, "{r}");
}

#[test]
fn placements_that_make_no_sense_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wide.png");
    scene(60, 30, Subject::Skin, (2, 2, 5, 5), false).save(&file).unwrap();
    let out = dir.path().join("out");
    let refused = |args: &[&str], says: &str| {
        let o = bin().args(args).arg("-o").arg(&out).arg(&file).assert().code(2);
        let err = String::from_utf8_lossy(&o.get_output().stderr).into_owned();
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(&["thumbs", "--focus", "0.5,0.5"], "add --crop");
    refused(&["thumbs", "--crop", "attention", "--focus", "0.5,0.5"], "give one");
    refused(&["thumbs", "--crop", "--focus", "1.5,0"], "from 0 to 1");
    refused(&["resize", "-W", "10", "--position", "attention"], "add --fit cover");
    refused(&["resize", "-W", "10", "-H", "10", "--focus", "0,0"], "add --fit cover");
    refused(&["thumbs", "--crop", "sideways"], "attention");
    assert!(!out.exists());
}

#[test]
fn crop_before_the_input_still_means_a_centre_crop_of_it() {
    // Command lines written before --crop took a strategy keep working.
    let (dir, file) = wide_skin();
    let out = dir.path().join("out");
    let o =
        bin().args(["thumbs", "--json", "--sizes", "50", "--crop"]).arg(&file).arg("-o").arg(&out).assert().success();
    let r = json(&o.get_output().stdout);
    assert_eq!(crops(&r, "wide.png")[0], serde_json::json!({"x": 150, "y": 0, "width": 300, "height": 300}));
    assert_eq!(dims(&out.join("wide_50.png")), (50, 50));
}
