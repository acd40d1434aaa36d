//! `imgbatch thumbs` on the bundled sample folder.
mod common;
use common::*;

#[test]
fn thumbs_mirror_the_tree_and_fit_every_size() {
    let out = tempfile::tempdir().unwrap();
    let o =
        bin().args(["thumbs", "--sizes", "128,256", "--json", "-o"]).arg(out.path()).arg(photos()).assert().success();
    let r = json(&o.get_output().stdout);
    assert_eq!(r["summary"]["ok"], 6);
    assert_eq!(r["summary"]["failed"], 0);
    let files = files_under(out.path());
    for name in [
        "lake_128.jpg",
        "lake_256.jpg",
        "2024/beach/sunset_256.jpg",
        "2024/city/rotated_256.jpg",
        "2025/forest_128.jpeg",
        "2025/logo_256.png",
    ] {
        assert!(files.contains(&name.to_string()), "{name} missing from {files:?}");
    }
    assert_eq!(files.len(), 12, "{files:?}");
    // Bounding box: the long side equals the size, aspect kept (1600x1067).
    assert_eq!(dims(&out.path().join("lake_256.jpg")), (256, 171));
    assert_eq!(dims(&out.path().join("lake_128.jpg")), (128, 85));
    // Portrait after EXIF orientation 6 (stored 1200x800).
    assert_eq!(dims(&out.path().join("2024/city/rotated_256.jpg")), (171, 256));
    // Never enlarged: 200x150 stays 200x150 in the 256 box.
    assert_eq!(dims(&out.path().join("2024/beach/small_256.jpg")), (200, 150));
    assert_eq!(dims(&out.path().join("2024/beach/small_128.jpg")), (128, 96));
    // The report lists every output with its size and bytes.
    let lake = entry(&r, "lake.jpg");
    assert_eq!(lake["status"], "ok");
    assert_eq!(lake["outputs"].as_array().unwrap().len(), 2);
    let written: u64 = lake["outputs"].as_array().unwrap().iter().map(|o| o["bytes"].as_u64().unwrap()).sum();
    let on_disk = std::fs::metadata(out.path().join("lake_128.jpg")).unwrap().len()
        + std::fs::metadata(out.path().join("lake_256.jpg")).unwrap().len();
    assert_eq!(written, on_disk);
}

#[test]
fn png_with_alpha_stays_png_with_alpha() {
    let out = tempfile::tempdir().unwrap();
    bin().args(["thumbs", "-o"]).arg(out.path()).arg(photos().join("2025/logo.png")).assert().success();
    let img = image::open(out.path().join("logo_256.png")).unwrap();
    assert!(img.color().has_alpha());
    assert_eq!((img.width(), img.height()), (256, 192));
    assert_eq!(img.to_rgba8().get_pixel(0, 0)[3], 0, "corner stays transparent");
}

#[test]
fn crop_makes_exact_centre_squares() {
    let out = tempfile::tempdir().unwrap();
    bin().args(["thumbs", "--crop", "--sizes", "100,300", "-o"]).arg(out.path()).arg(photos()).assert().success();
    assert_eq!(dims(&out.path().join("lake_100.jpg")), (100, 100));
    assert_eq!(dims(&out.path().join("2025/forest_300.jpeg")), (300, 300));
    // Without --upscale a 200x150 source gives the largest square it can.
    assert_eq!(dims(&out.path().join("2024/beach/small_300.jpg")), (150, 150));
}

#[test]
fn upscale_enlarges_small_images() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["thumbs", "--upscale", "--sizes", "400", "-o"])
        .arg(out.path())
        .arg(photos().join("2024/beach/small.jpg"))
        .assert()
        .success();
    assert_eq!(dims(&out.path().join("small_400.jpg")), (400, 300));
}

#[test]
fn format_and_quality_choose_the_encoding() {
    let out = tempfile::tempdir().unwrap();
    let lake = photos().join("lake.jpg");
    for fmt in ["webp", "png", "jpeg"] {
        bin().args(["thumbs", "--format", fmt, "-o"]).arg(out.path().join(fmt)).arg(&lake).assert().success();
    }
    let sniff = |p: &str| image::guess_format(&std::fs::read(out.path().join(p)).unwrap()).unwrap();
    assert_eq!(sniff("webp/lake_256.webp"), image::ImageFormat::WebP);
    assert_eq!(sniff("png/lake_256.png"), image::ImageFormat::Png);
    assert_eq!(sniff("jpeg/lake_256.jpg"), image::ImageFormat::Jpeg);
    let size = |q: &str| {
        let d = out.path().join(format!("q{q}"));
        bin().args(["thumbs", "--quality", q, "-o"]).arg(&d).arg(&lake).assert().success();
        std::fs::metadata(d.join("lake_256.jpg")).unwrap().len()
    };
    assert!(size("30") < size("95"));
}

#[test]
fn summary_on_stderr_unless_quiet() {
    let out = tempfile::tempdir().unwrap();
    let o = bin().args(["thumbs", "-o"]).arg(out.path()).arg(photos()).assert().success();
    let err = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(err.contains("thumbs: 6 ok, 0 skipped, 0 failed"), "{err}");
    assert!(err.contains("files/s"), "{err}");
    let o = bin().args(["thumbs", "--quiet", "--force", "-o"]).arg(out.path()).arg(photos()).assert().success();
    assert!(o.get_output().stderr.is_empty());
}

#[test]
fn report_file_matches_the_documented_shape() {
    let out = tempfile::tempdir().unwrap();
    let rep = out.path().join("r.json");
    bin().args(["thumbs", "-o"]).arg(out.path().join("t")).arg("--report").arg(&rep).arg(photos()).assert().success();
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    for k in ["total", "ok", "skipped", "failed", "elapsed_s", "input_megapixels", "output_bytes"] {
        assert!(r["summary"][k].is_number(), "summary.{k}");
    }
    assert_eq!(r["summary"]["total"], 6);
    let mp = r["summary"]["input_megapixels"].as_f64().unwrap();
    // 1600x1067 + 2 x 1200x800 + 200x150 + 1024x1536 + 512x384 pixels.
    assert!((mp - 5.426672).abs() < 1e-9, "{mp}");
    for f in r["files"].as_array().unwrap() {
        assert!(f["input"].as_str().unwrap().starts_with(photos().to_str().unwrap()));
        assert!(f["ms"].is_number());
        assert!(f["error"].is_null());
        let o = &f["outputs"][0];
        assert!(o["path"].is_string() && o["width"].is_number() && o["height"].is_number() && o["bytes"].is_number());
    }
}

#[test]
fn worker_and_queue_sizes_do_not_change_the_results() {
    let mut reports = Vec::new();
    for (workers, queue) in [("1", "1"), ("3", "1"), ("2", "8")] {
        let out = tempfile::tempdir().unwrap();
        let o = bin()
            .args(["thumbs", "--sizes", "64", "--json", "--workers", workers, "--queue", queue, "-o"])
            .arg(out.path())
            .arg(photos())
            .assert()
            .success();
        let r = json(&o.get_output().stdout);
        assert_eq!(r["summary"]["ok"], 6, "workers {workers} queue {queue}");
        let sizes: Vec<_> = r["files"].as_array().unwrap().iter().map(|f| f["outputs"][0]["width"].clone()).collect();
        reports.push((files_under(out.path()), sizes));
    }
    assert!(reports.windows(2).all(|w| w[0] == w[1]), "{reports:?}");
}

#[test]
fn sizes_apart_from_the_list_get_a_hint_not_no_such_file() {
    let out = tempfile::tempdir().unwrap();
    let o =
        bin().args(["thumbs", "--sizes", "256", "512", "-o"]).arg(out.path().join("t")).arg(photos()).assert().code(2);
    let err = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(err.contains("input 512:") && err.contains("--sizes 256,512"), "{err}");
    assert!(!out.path().join("t").exists(), "nothing was made");
    // A folder really named 512 is an input like any other.
    let named = out.path().join("512");
    copy_dir(&photos(), &named);
    bin().current_dir(out.path()).args(["thumbs", "--sizes", "64", "-o", "t", "512"]).assert().success();
}

#[test]
fn help_wraps_to_the_terminal() {
    for columns in [80, 120] {
        let o = bin().env("COLUMNS", columns.to_string()).args(["thumbs", "--help"]).assert().success();
        let help = String::from_utf8_lossy(&o.get_output().stdout).to_string();
        let longest = help.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(longest <= columns && longest > 60, "{columns} columns: a line of {longest}\n{help}");
    }
}
