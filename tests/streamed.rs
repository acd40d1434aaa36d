//! Inputs from 1 MiB on (`process::STREAM_FROM`) that libjpeg-turbo shrinks
//! on load, or PNGs shrunk row by row, are read from the file as the decode
//! goes: memory holds the reduced image, never the file. The outputs are the
//! same as from the file held in memory, the file is not charged to
//! `--max-memory`, and files cut short are still told from damaged ones.
mod common;
use common::*;
use std::fs;
use std::path::Path;
use std::time::Instant;

use image::RgbImage;
use imgbatch::job::{Fit, OutFormat, Target};
use imgbatch::process::resize::Resampler;
use imgbatch::process::{ProcessOptions, STREAM_FROM, Task, process, process_bytes};
use imgbatch::{Job, Operation};

/// The test picture with noise on top: structure to check, and data that
/// does not compress, so files pass 1 MiB at modest sizes.
fn noisy(w: u32, h: u32) -> RgbImage {
    let mut img = upright(w, h);
    let mut s = 0x9E37_79B9u32;
    for p in img.pixels_mut() {
        for c in p.0.iter_mut() {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            *c = c.saturating_add((s % 48) as u8).saturating_sub(24);
        }
    }
    img
}

#[cfg(feature = "jpeg-turbo")]
fn noisy_jpeg(w: u32, h: u32) -> Vec<u8> {
    jpeg_bytes(&noisy(w, h), 95, None, None)
}

fn noisy_png(w: u32, h: u32) -> Vec<u8> {
    let mut v = Vec::new();
    image::DynamicImage::ImageRgb8(noisy(w, h))
        .write_to(&mut std::io::Cursor::new(&mut v), image::ImageFormat::Png)
        .unwrap();
    v
}

fn run(args: &[&str], input: &Path, out: &Path, code: i32) -> serde_json::Value {
    let o = bin().args(args).args(["--json", "-o"]).arg(out).arg(input).assert().code(code);
    json(&o.get_output().stdout)
}

/// One 100-px thumbnail of `path`, as a worker makes it: from the open file
/// (`process`) and from the bytes in memory (`process_bytes`), with the
/// bytes each asked `--max-memory` for.
fn both_ways(path: &Path) -> ((Vec<u8>, u64), (Vec<u8>, u64)) {
    let job = Job::new(vec![path.into()], "/nowhere".into(), Operation::Thumbs { sizes: vec![100], crop: false });
    let opts = ProcessOptions::from_job(&job);
    let target = Target { width: Some(100), height: Some(100), fit: Fit::Inside };
    let task = Task {
        seq: 0,
        up_to_date: false,
        cost: 0,
        input: path.into(),
        // What the walker's probe would find.
        source: imgbatch::format::sniff(&fs::read(path).unwrap(), None).unwrap(),
        format: OutFormat::Jpeg,
        outputs: vec![("thumb.jpg".into(), target)],
        stamp: Default::default(),
        redo: None,
    };
    let mut resampler = Resampler::new();
    let mut charged = 0u64;
    let streamed = process(&task, &opts, &mut resampler, &mut |n| {
        charged += n;
        Ok(())
    })
    .unwrap();
    let from_file = charged;
    let bytes = fs::read(path).unwrap();
    let mut charged = bytes.len() as u64;
    let held = process_bytes(
        &task,
        bytes,
        &opts,
        &mut resampler,
        &mut |n| {
            charged += n;
            Ok(())
        },
        Instant::now(),
    )
    .unwrap();
    ((streamed.outputs[0].bytes.clone(), from_file), (held.outputs[0].bytes.clone(), charged))
}

#[cfg(feature = "jpeg-turbo")]
#[test]
fn a_big_jpeg_read_from_its_file_gives_the_same_thumbnail_without_holding_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jpg");
    let jpeg = noisy_jpeg(1800, 1200);
    assert!(jpeg.len() as u64 >= STREAM_FROM, "{} bytes", jpeg.len());
    fs::write(&path, &jpeg).unwrap();
    let ((streamed, from_file), (held, in_memory)) = both_ways(&path);
    assert_eq!(streamed, held, "the thumbnails differ");
    // In memory: the file plus the reduced image; from the file: the
    // reduced image and the first 256 KiB read to tell the format.
    assert!(in_memory >= jpeg.len() as u64);
    assert!(from_file < jpeg.len() as u64 / 2, "{from_file} bytes charged for a {}-byte file", jpeg.len());
}

#[test]
fn a_big_png_read_from_its_file_gives_the_same_thumbnail_without_holding_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.png");
    let png = noisy_png(1200, 800);
    assert!(png.len() as u64 >= STREAM_FROM, "{} bytes", png.len());
    fs::write(&path, &png).unwrap();
    let ((streamed, from_file), (held, in_memory)) = both_ways(&path);
    assert_eq!(streamed, held, "the thumbnails differ");
    assert!(in_memory >= png.len() as u64);
    assert!(from_file < png.len() as u64 / 2, "{from_file} bytes charged for a {}-byte file", png.len());
}

/// A file larger than `--max-memory` thumbnails when it is read as it
/// decodes; held whole (no shrink-on-load) it cannot fit.
#[cfg(feature = "jpeg-turbo")]
#[test]
fn max_memory_below_the_file_size_is_enough_when_the_file_is_not_held() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = noisy_jpeg(2400, 1800);
    assert!(jpeg.len() > 3 << 20, "{} bytes", jpeg.len());
    fs::write(dir.path().join("big.jpg"), &jpeg).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = run(&["thumbs", "--sizes", "128", "--max-memory", "3M"], dir.path(), out.path(), 0);
    assert_eq!(entry(&r, "big.jpg")["status"], "ok", "{r}");
    let thumb = image::open(out.path().join("big_128.jpg")).unwrap().to_rgb8();
    assert_eq!(thumb.dimensions(), (128, 96));
    let red = thumb.get_pixel(8, 8);
    assert!(red[0] > 180 && red[2] < 70, "{red:?}");
    let whole = tempfile::tempdir().unwrap();
    let r =
        run(&["thumbs", "--sizes", "128", "--max-memory", "3M", "--no-shrink-on-load"], dir.path(), whole.path(), 1);
    let error = entry(&r, "big.jpg")["error"].as_str().unwrap().to_string();
    assert!(error.contains("--max-memory"), "{error}");
}

/// libjpeg reads the file itself here: where the file ends early it is told
/// so, fills in the rest, and the run says truncated (or, allowed, warns).
#[cfg(feature = "jpeg-turbo")]
#[test]
fn a_big_jpeg_cut_short_is_truncated_when_read_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut jpeg = noisy_jpeg(2400, 1800);
    jpeg.truncate(jpeg.len() * 2 / 3);
    assert!(jpeg.len() as u64 >= STREAM_FROM);
    fs::write(dir.path().join("cut.jpg"), &jpeg).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = run(&["thumbs", "--sizes", "128"], dir.path(), out.path(), 1);
    assert_eq!(entry(&r, "cut.jpg")["error"], "truncated JPEG", "{r}");
    let r = run(&["thumbs", "--sizes", "128", "--allow-truncated"], dir.path(), out.path(), 0);
    let warning = entry(&r, "cut.jpg")["warning"].as_str().unwrap().to_string();
    assert!(warning.starts_with("truncated JPEG"), "{warning}");
    let thumb = image::open(out.path().join("cut_128.jpg")).unwrap().to_rgb8();
    // The top (red block) decoded; the bottom third is fill.
    let red = thumb.get_pixel(8, 8);
    assert!(red[0] > 180 && red[2] < 70, "{red:?}");
}

#[test]
fn a_big_png_cut_short_is_truncated_when_read_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut png = noisy_png(1600, 1200);
    png.truncate(png.len() / 2);
    assert!(png.len() as u64 >= STREAM_FROM);
    fs::write(dir.path().join("cut.png"), &png).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = run(&["thumbs", "--sizes", "128"], dir.path(), out.path(), 1);
    assert_eq!(entry(&r, "cut.png")["error"], "truncated PNG", "{r}");
    let r = run(&["thumbs", "--sizes", "128", "--allow-truncated"], dir.path(), out.path(), 0);
    let warning = entry(&r, "cut.png")["warning"].as_str().unwrap().to_string();
    assert!(warning.starts_with("truncated PNG: ") && warning.ends_with("of 1200 rows decoded, the rest is filled in"));
}

/// A PNG whose metadata is kept is read whole (its XMP may follow the
/// pixels); a JPEG's is all in the headers read first.
#[test]
fn kept_metadata_survives_a_file_read_as_it_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let img = noisy(1800, 1200);
    let jpeg = jpeg_bytes(&img, 95, Some(6), None);
    assert!(jpeg.len() as u64 >= STREAM_FROM);
    fs::write(dir.path().join("turned.jpg"), &jpeg).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = run(&["thumbs", "--sizes", "120", "--keep-metadata"], dir.path(), out.path(), 0);
    assert_eq!(entry(&r, "turned.jpg")["status"], "ok", "{r}");
    // Orientation 6 turns the 3:2 landscape upright: 80x120.
    assert_eq!(dims(&out.path().join("turned_120.jpg")), (80, 120));
    let kept = fs::read(out.path().join("turned_120.jpg")).unwrap();
    assert!(kept.windows(6).any(|w| w == b"Exif\0\0"), "no EXIF in the output");
}
