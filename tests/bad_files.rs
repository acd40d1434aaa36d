//! Bad input never crashes the run: each bad file gets one clear line and a
//! `failed` entry, the good files still finish, the exit code says so.
mod common;
use common::*;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn run_json(args: &[&str], out: &Path, input: &Path, code: i32) -> (serde_json::Value, String) {
    let o = bin().args(args).arg("--json").arg("-o").arg(out).arg(input).assert().code(code);
    let err = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    (json(&o.get_output().stdout), err)
}

fn good_jpeg() -> Vec<u8> {
    jpeg_bytes(&upright(200, 100), 90, None, None)
}

#[test]
fn bad_files_among_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("good.jpg"), good_jpeg()).unwrap();
    fs::write(d.join("empty.jpg"), b"").unwrap();
    fs::write(d.join("page.png"), b"<!DOCTYPE html><html><body>404</body></html>").unwrap();
    fs::write(d.join("notes.jpg"), b"just some text saved with the wrong name\n").unwrap();
    let mut cut = good_jpeg();
    cut.truncate(cut.len() / 2);
    fs::write(d.join("cut.jpg"), cut).unwrap();
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(upright(64, 64))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    fs::write(d.join("actually-png.jpg"), &png).unwrap();
    let mut bad_png = png.clone();
    let n = bad_png.len();
    bad_png[n / 2..n - 12].fill(0x55); // IDAT garbage, IEND intact
    fs::write(d.join("corrupt.png"), bad_png).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, err) = run_json(&["thumbs", "--sizes", "50"], out.path(), d, 1);
    assert_eq!(r["summary"]["total"], 7);
    assert_eq!(r["summary"]["ok"], 2);
    assert_eq!(r["summary"]["failed"], 5);
    for (name, reason) in [
        ("empty.jpg", "not an image (empty file)"),
        ("page.png", "not an image (looks like HTML/XML text)"),
        ("notes.jpg", "not an image (looks like text)"),
        ("cut.jpg", "truncated JPEG"),
        ("corrupt.png", "PNG"),
    ] {
        let e = entry(&r, name);
        assert_eq!(e["status"], "failed", "{name}");
        let msg = e["error"].as_str().unwrap();
        assert!(msg.contains(reason), "{name}: {msg}");
        // One line on stderr per bad file: `PATH: reason`.
        let lines: Vec<_> = err.lines().filter(|l| l.contains(name)).collect();
        assert_eq!(lines.len(), 1, "{name}: {err}");
        assert!(lines[0].starts_with(d.join(name).to_str().unwrap()) && lines[0].contains(": "), "{}", lines[0]);
    }
    // Decided by content: a PNG named .jpg comes out as PNG.
    assert_eq!(entry(&r, "actually-png.jpg")["status"], "ok");
    assert_eq!(files_under(out.path()), vec!["actually-png_50.png", "good_50.jpg"]);
}

#[test]
fn truncated_jpeg_is_kept_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let mut cut = good_jpeg();
    cut.truncate(cut.len() * 2 / 3);
    fs::write(dir.path().join("cut.jpg"), cut).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run_json(&["thumbs"], out.path(), dir.path(), 1);
    assert_eq!(entry(&r, "cut.jpg")["error"], "truncated JPEG");
    let (r, err) = run_json(&["thumbs", "--allow-truncated"], out.path(), dir.path(), 0);
    let e = entry(&r, "cut.jpg");
    assert_eq!(e["status"], "ok");
    assert!(e["warning"].as_str().unwrap().contains("truncated"));
    assert!(err.contains("warning: truncated"), "{err}");
}

#[test]
fn truncated_png_is_kept_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    // Noise, so the image data is long and the cut lands inside it.
    let mut s = 7u32;
    let img = image::RgbImage::from_fn(200, 200, |_, y| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        if y < 100 { image::Rgb([200, 30, 30]) } else { image::Rgb([s as u8, (s >> 8) as u8, 90]) }
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    png.truncate(png.len() * 3 / 4);
    fs::write(dir.path().join("cut.png"), png).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run_json(&["resize", "--width", "200"], out.path(), dir.path(), 1);
    assert_eq!(entry(&r, "cut.png")["error"], "truncated PNG");
    assert_eq!(files_under(out.path()), Vec::<String>::new());
    let (r, err) = run_json(&["resize", "--width", "200", "--allow-truncated"], out.path(), dir.path(), 0);
    let e = entry(&r, "cut.png");
    assert_eq!(e["status"], "ok");
    assert!(e["warning"].as_str().unwrap().contains("rows decoded"), "{e}");
    assert!(err.contains("warning: truncated PNG"), "{err}");
    let kept = image::open(out.path().join("cut.png")).unwrap().to_rgb8();
    assert_eq!(kept.dimensions(), (200, 200));
    assert_eq!(kept.get_pixel(10, 10), &image::Rgb([200, 30, 30]), "the decoded rows are kept");
    assert_eq!(kept.get_pixel(10, 199), &image::Rgb([128, 128, 128]), "the missing rows are grey");
}

#[test]
fn huge_headers_are_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    // A valid 8x8 JPEG whose frame header claims 65535x65535 (4.3 Gpx).
    let mut b = jpeg_bytes(&upright(8, 8), 80, None, None);
    let sof = b.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
    b[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    fs::write(dir.path().join("bomb.jpg"), b).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run_json(&["thumbs"], out.path(), dir.path(), 1);
    // Shrunk on load by libjpeg-turbo it would hold 8192x8192, within
    // --max-pixels, but libjpeg takes no side over 65 500; the pure-Rust
    // decoders hold it whole.
    let want = if cfg!(feature = "jpeg-turbo") {
        "unsupported: JPEG over 65500 pixels wide or high"
    } else {
        "65535x65535 exceeds --max-pixels (268402689)"
    };
    assert_eq!(entry(&r, "bomb.jpg")["error"], want);
    let (r, _) = run_json(&["thumbs", "--no-shrink-on-load"], out.path(), dir.path(), 1);
    assert_eq!(entry(&r, "bomb.jpg")["error"], "65535x65535 exceeds --max-pixels (268402689)");
    // The limit is the user's to set (1200 px from 1600 px: decoded whole).
    let lake = photos().join("lake.jpg");
    let (r, _) = run_json(&["resize", "--width", "1200", "--max-pixels", "1000000"], out.path(), &lake, 1);
    assert_eq!(entry(&r, "lake.jpg")["error"], "1600x1067 exceeds --max-pixels (1000000)");
}

#[test]
fn a_panic_costs_one_file_not_the_run() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["a.jpg", "boom.jpg", "c.jpg"] {
        fs::write(dir.path().join(n), good_jpeg()).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .env("IMGBATCH_WORKER", faulty())
        .env("IMGBATCH_INJECT_PANIC", "boom")
        .args(["thumbs", "--workers", "1", "--json", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .assert()
        .code(1);
    let r = json(&o.get_output().stdout);
    let e = entry(&r, "boom.jpg");
    assert_eq!(e["status"], "failed");
    assert!(e["error"].as_str().unwrap().contains("panic"), "{e}");
    assert_eq!(r["summary"]["ok"], 2, "the same worker went on");
    let err = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(!err.contains("thread '"), "default panic message leaked: {err}");
}

#[test]
fn special_files_named_like_images_never_block() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("ok.jpg"), good_jpeg()).unwrap();
    let status = std::process::Command::new("mkfifo").arg(d.join("pipe.jpg")).status().unwrap();
    assert!(status.success());
    fs::create_dir(d.join("folder.jpg")).unwrap();
    fs::write(d.join("folder.jpg/inner.jpg"), good_jpeg()).unwrap();
    std::os::unix::net::UnixListener::bind(d.join("sock.png")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run_json(&["thumbs"], out.path(), d, 1);
    assert_eq!(entry(&r, "pipe.jpg")["error"], "not a regular file (FIFO)");
    assert_eq!(entry(&r, "sock.png")["error"], "not a regular file (socket)");
    assert_eq!(entry(&r, "inner.jpg")["status"], "ok");
    assert_eq!(r["summary"]["ok"], 2);
    // A FIFO given by name is refused the same way instead of hanging.
    let (r, _) = run_json(&["thumbs"], out.path(), &d.join("pipe.jpg"), 1);
    assert_eq!(entry(&r, "pipe.jpg")["status"], "failed");
}

#[test]
fn hidden_files_and_links_are_opt_in() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("in");
    fs::create_dir_all(d.join(".cache")).unwrap();
    fs::write(d.join(".hidden.jpg"), good_jpeg()).unwrap();
    fs::write(d.join(".cache/c.jpg"), good_jpeg()).unwrap();
    fs::write(d.join("v.jpg"), good_jpeg()).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("e.jpg"), good_jpeg()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, d.join("linked")).unwrap();
    std::os::unix::fs::symlink(d.join("gone.jpg"), d.join("dangling.jpg")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run_json(&["thumbs"], out.path(), &d, 0);
    assert_eq!(r["summary"]["total"], 1, "{r}");
    let (r, _) = run_json(&["thumbs", "--hidden", "--force"], out.path(), &d, 0);
    assert_eq!(r["summary"]["total"], 3);
    let (r, _) = run_json(&["thumbs", "--follow", "--force"], out.path(), &d, 1);
    assert_eq!(entry(&r, "e.jpg")["status"], "ok");
    assert_eq!(entry(&r, "dangling.jpg")["status"], "failed");
}

#[test]
fn symlink_loops_are_detected_with_follow() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("in");
    fs::create_dir_all(d.join("sub")).unwrap();
    fs::write(d.join("sub/a.jpg"), good_jpeg()).unwrap();
    std::os::unix::fs::symlink(&d, d.join("sub/loop")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run_json(&["thumbs", "--follow"], out.path(), &d, 1);
    assert_eq!(entry(&r, "sub/a.jpg")["status"], "ok");
    let e = entry(&r, "loop");
    assert!(e["error"].as_str().unwrap().contains("loop"), "{e}");
}

#[test]
fn odd_file_names_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let raw = std::ffi::OsStr::from_bytes(b"latin1-\xe9t\xe9.jpg");
    for name in [std::ffi::OsStr::new("with space.jpg"), std::ffi::OsStr::new("new\nline.jpg"), raw] {
        fs::write(d.join(name), good_jpeg()).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run_json(&["thumbs", "--sizes", "20"], out.path(), d, 0);
    assert_eq!(r["summary"]["ok"], 3);
    assert!(out.path().join("with space_20.jpg").exists());
    assert!(out.path().join("new\nline_20.jpg").exists());
    assert!(out.path().join(std::ffi::OsStr::from_bytes(b"latin1-\xe9t\xe9_20.jpg")).exists());
}

#[test]
fn setup_errors_exit_2() {
    let out = tempfile::tempdir().unwrap();
    bin().args(["thumbs", "-o"]).arg(out.path()).arg("/no/such/folder").assert().code(2);
    // The output "folder" is an existing file.
    let file = out.path().join("file");
    fs::write(&file, b"x").unwrap();
    let o = bin().args(["thumbs", "-o"]).arg(&file).arg(photos()).assert().code(2);
    let err = String::from_utf8_lossy(&o.get_output().stderr).into_owned();
    assert!(err.starts_with("error: -o ") && err.contains("is a file, not a folder"), "{err}");
    bin().args(["thumbs"]).arg(photos()).assert().code(2);
    // Every fatal line has the parser's prefix, whoever writes it.
    let o = bin().args(["thumbs", "--workers", "0", "-o"]).arg(out.path()).arg(photos()).assert().code(2);
    assert!(String::from_utf8_lossy(&o.get_output().stderr).starts_with("error: --workers must be at least 1"));
    let o = bin().args(["thumbs", "--sizes", "128x128", "-o"]).arg(out.path()).arg(photos()).assert().code(2);
    let err = String::from_utf8_lossy(&o.get_output().stderr).into_owned();
    assert!(err.starts_with("error: ") && err.contains("a size is one number"), "{err}");
}

#[test]
fn a_report_that_cannot_be_written_keeps_the_run_status_and_the_json() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("good.jpg"), good_jpeg()).unwrap();
    fs::write(dir.path().join("bad.jpg"), b"\xFF\xD8 not really").unwrap();
    // A folder where the report file should be: the write fails after the run.
    let report = dir.path().join("report.json");
    fs::create_dir(&report).unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["thumbs", "--json", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(out.path())
        .arg(dir.path().join("good.jpg"))
        .arg(dir.path().join("bad.jpg"))
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&o.get_output().stderr).into_owned();
    assert!(err.contains("error: cannot write report"), "{err}");
    assert_eq!(json(&o.get_output().stdout)["summary"]["failed"], 1);
    // A clean run whose report cannot be written exits 2.
    bin()
        .args(["thumbs", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(out.path())
        .arg(dir.path().join("good.jpg"))
        .arg("--force")
        .assert()
        .code(2);
}

#[test]
fn sixteen_bit_greyscale_and_cmyk_inputs_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let g16 = image::ImageBuffer::<image::Luma<u16>, _>::from_fn(64, 32, |x, _| image::Luma([(x * 1000) as u16]));
    image::DynamicImage::ImageLuma16(g16).save(d.join("grey16.png")).unwrap();
    let rgb16 = image::ImageBuffer::<image::Rgba<u16>, _>::from_pixel(64, 32, image::Rgba([65535, 0, 0, 65535]));
    image::DynamicImage::ImageRgba16(rgb16).save(d.join("red16.png")).unwrap();
    // Adobe CMYK JPEG of pure red (C=0, M=Y=100%, K=0).
    let cmyk: Vec<u8> = [0u8, 255, 255, 0].repeat(64 * 32);
    let mut buf = Vec::new();
    jpeg_encoder::Encoder::new(&mut buf, 95).encode(&cmyk, 64, 32, jpeg_encoder::ColorType::Cmyk).unwrap();
    fs::write(d.join("cmyk.jpg"), buf).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run_json(&["thumbs", "--sizes", "32", "--format", "png"], out.path(), d, 0);
    assert_eq!(r["summary"]["ok"], 3);
    let red = image::open(out.path().join("red16_32.png")).unwrap().to_rgb8();
    assert_eq!(red.get_pixel(5, 5).0, [255, 0, 0]);
    let grey = image::open(out.path().join("grey16_32.png")).unwrap();
    assert_eq!((grey.width(), grey.height()), (32, 16));
    let c = image::open(out.path().join("cmyk_32.png")).unwrap().to_rgb8();
    let p = c.get_pixel(10, 8).0;
    assert!(p[0] > 200 && p[1] < 60 && p[2] < 60, "CMYK red came out {p:?}");
}
