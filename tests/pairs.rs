//! A camera folder shot RAW+JPEG (and a phone's HEIC+JPEG, a scanner's
//! TIFF+JPEG): one output set per shot, the other member reported as
//! paired, exit 0; `--pairs raw` and `--pairs both`.
mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};

/// A camera card: a DNG and its JPEG, a HEIC and its JPEG (this build may
/// not read HEIC: it must not matter), a TIFF and its JPEG, and a JPEG and
/// a PNG of one stem, which are two pictures, not one shot.
fn card() -> (tempfile::TempDir, PathBuf) {
    let base = tempfile::tempdir().unwrap();
    let card = base.path().join("DCIM/100CAMERA");
    fs::create_dir_all(&card).unwrap();
    fs::copy(fixtures().join("formats/raw/IMG_1001.dng"), card.join("IMG_1001.DNG")).unwrap();
    write_jpeg(&card.join("IMG_1001.JPG"), 300, 200);
    fs::copy(fixtures().join("formats/heif/exif-only.heic"), card.join("IMG_1002.HEIC")).unwrap();
    write_jpeg(&card.join("IMG_1002.JPG"), 200, 300);
    image::RgbImage::new(120, 80).save(card.join("scan.tif")).unwrap();
    write_jpeg(&card.join("scan.jpg"), 120, 80);
    write_jpeg(&card.join("logo.jpg"), 64, 64);
    write_png(&card.join("logo.png"), 64, 64);
    (base, card)
}

fn thumbs(input: &Path, out: &Path, extra: &[&str]) -> (serde_json::Value, i32) {
    let o = bin().args(["thumbs", "--sizes", "64", "--json", "-o"]).arg(out).args(extra).arg(input).output().unwrap();
    (json(&o.stdout), o.status.code().unwrap())
}

fn names(dir: &Path) -> Vec<String> {
    files_under(dir)
}

#[test]
fn a_raw_plus_jpeg_folder_exits_0_with_one_output_set_per_shot() {
    let (base, card) = card();
    let out = base.path().join("out");
    let (r, code) = thumbs(&card, &out, &[]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["failed"], 0);
    assert_eq!(r["summary"]["paired"], 3);
    assert_eq!(
        names(&out),
        ["IMG_1001_64.JPG", "IMG_1002_64.JPG", "logo_64.jpg", "logo_64.png", "scan_64.jpg"],
        "the camera JPEG of each shot; the PNG is a picture of its own"
    );
    let raw = entry(&r, "IMG_1001.DNG");
    assert_eq!(raw["status"], "paired");
    assert!(raw["paired_with"].as_str().unwrap().ends_with("IMG_1001.JPG"), "{raw}");
    assert_eq!(entry(&r, "IMG_1002.HEIC")["status"], "paired");
    assert_eq!(entry(&r, "scan.tif")["status"], "paired");
    // A re-run skips the shots, and the paired members stay paired.
    let (again, code) = thumbs(&card, &out, &[]);
    assert_eq!(
        (code, again["summary"]["skipped"].as_u64(), again["summary"]["paired"].as_u64()),
        (0, Some(5), Some(3))
    );
}

#[test]
fn pairs_raw_makes_the_outputs_from_the_raw() {
    let (base, card) = card();
    let out = base.path().join("out");
    let (r, code) = thumbs(&card, &out, &["--pairs", "raw"]);
    // The HEIC+JPEG and TIFF+JPEG shots have no RAW: their JPEG still makes them.
    assert_eq!(code, 0, "{r}");
    assert_eq!(entry(&r, "IMG_1001.JPG")["status"], "paired");
    assert_eq!(entry(&r, "IMG_1001.DNG")["status"], "ok");
    assert!(out.join("IMG_1001_64.jpg").is_file(), "{:?}", names(&out));
    assert_eq!(entry(&r, "IMG_1002.JPG")["status"], "ok");
}

#[test]
fn pairs_both_keeps_the_members_apart_in_the_names() {
    let (base, card) = card();
    let out = base.path().join("out");
    let (r, _) = thumbs(&card, &out, &["--pairs", "both"]);
    assert_eq!(r["summary"]["paired"], 0);
    let names = names(&out);
    assert!(names.contains(&"IMG_1001_64.JPG".to_string()), "{names:?}");
    assert!(names.contains(&"IMG_1001_dng_64.jpg".to_string()), "{names:?}");
    assert!(names.contains(&"scan_tif_64.jpg".to_string()), "{names:?}");
    assert!(names.contains(&"scan_64.jpg".to_string()), "{names:?}");
    assert_eq!(entry(&r, "IMG_1001.DNG")["status"], "ok");
}

#[test]
fn a_file_named_on_the_command_line_is_processed_whatever_its_siblings() {
    let (base, card) = card();
    let out = base.path().join("out");
    let (r, code) = thumbs(&card.join("IMG_1001.DNG"), &out, &[]);
    assert_eq!((code, r["summary"]["ok"].as_u64()), (0, Some(1)), "{r}");
}
