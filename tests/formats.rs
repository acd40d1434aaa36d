//! Every file of a real photo folder: JPEG XL, camera RAW (DNG), animations
//! and multi-page files, formats this build cannot read (named, with how to
//! get them read) and files that are not images (counted, never failures).
mod common;
use common::*;
use std::fs;
use std::path::Path;

use image::{GenericImageView, RgbImage};

fn formats() -> std::path::PathBuf {
    fixtures().join("formats")
}

fn thumbs_json(input: &Path, out: &Path, extra: &[&str], code: i32) -> (serde_json::Value, String) {
    let o = bin().arg("thumbs").args(extra).arg("--json").arg("-o").arg(out).arg(input).assert().code(code);
    (json(&o.get_output().stdout), String::from_utf8_lossy(&o.get_output().stderr).into_owned())
}

/// Our thumbnail of fixtures/photos/lake.jpg at `size`, turned 90° clockwise.
fn lake_turned(out: &Path, size: u32) -> RgbImage {
    let o = out.join("lake-ref");
    bin()
        .args(["thumbs", "--format", "png", "--sizes", &size.to_string(), "-o"])
        .arg(&o)
        .arg(photos().join("lake.jpg"))
        .assert()
        .success();
    image::open(o.join(format!("lake_{size}.png"))).unwrap().rotate90().to_rgb8()
}

fn centre(p: &Path) -> [u8; 3] {
    let img = image::open(p).unwrap();
    let (w, h) = img.dimensions();
    let px = img.to_rgb8().get_pixel(w / 2, h / 2).0;
    [px[0], px[1], px[2]]
}

#[test]
fn jxl_is_turned_by_its_header_and_keeps_alpha() {
    let out = tempfile::tempdir().unwrap();
    // --colour keep: the default converts to sRGB and writes no profile.
    let (r, _) =
        thumbs_json(&formats().join("jxl"), out.path(), &["--sizes", "128", "--format", "png", "--colour", "keep"], 0);
    assert_eq!(r["summary"]["ok"], 5, "{r}");
    // An embedded profile reaches the output whole.
    let png = fs::File::open(out.path().join("icc_128.png")).unwrap();
    let mut dec = image::codecs::png::PngDecoder::new(std::io::BufReader::new(png)).unwrap();
    use image::ImageDecoder;
    assert_eq!(dec.icc_profile().unwrap().map(|p| p.len()), Some(588));
    // Stored 320x213 with orientation 6 in the codestream: displayed upright.
    let rotated = out.path().join("rotated_128.png");
    assert_eq!(dims(&rotated), (85, 128));
    let diff = mean_diff(&image::open(&rotated).unwrap().to_rgb8(), &lake_turned(out.path(), 128));
    assert!(diff < 6.0, "rotated.jxl differs from the turned photo by {diff}");
    let logo = image::open(out.path().join("logo-alpha_128.png")).unwrap();
    assert!(logo.color().has_alpha(), "alpha lost");
    assert!(logo.to_rgba8().pixels().any(|p| p[3] == 0), "no transparent pixel left");
    assert_eq!(dims(&out.path().join("forest_128.png")), (85, 128));
}

#[test]
fn animations_give_their_first_frame() {
    let out = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for f in ["anim-gif.gif", "anim-webp.webp", "anim-apng.png"] {
        fs::copy(formats().join("anim").join(f), dir.path().join(f)).unwrap();
    }
    fs::copy(formats().join("jxl/anim.jxl"), dir.path().join("anim-jxl.jxl")).unwrap();
    let (r, _) = thumbs_json(dir.path(), out.path(), &["--sizes", "64", "--format", "png"], 0);
    assert_eq!(r["summary"]["ok"], 4, "{r}");
    for f in ["anim-gif_64.png", "anim-webp_64.png", "anim-apng_64.png", "anim-jxl_64.png"] {
        let [r, g, b] = centre(&out.path().join(f));
        // The first frame is red, the second blue.
        assert!(r > 180 && g < 60 && b < 60, "{f}: centre is {r},{g},{b}, not the first (red) frame");
    }
}

/// A TIFF with two pages (red, then blue) and a 16-bit RGB TIFF.
fn write_tiffs(dir: &Path) {
    use tiff::encoder::{TiffEncoder, colortype};
    let mut file = fs::File::create(dir.join("pages.tif")).unwrap();
    let mut enc = TiffEncoder::new(&mut file).unwrap();
    let red: Vec<u8> = [220u8, 20, 20].repeat(80 * 60);
    let blue: Vec<u8> = [20u8, 20, 220].repeat(80 * 60);
    enc.write_image::<colortype::RGB8>(80, 60, &red).unwrap();
    enc.write_image::<colortype::RGB8>(80, 60, &blue).unwrap();
    let mut file = fs::File::create(dir.join("deep.TIF")).unwrap();
    let mut enc = TiffEncoder::new(&mut file).unwrap();
    let deep: Vec<u16> = (0..90 * 60).flat_map(|i| [(i % 90) as u16 * 700, 40000, 1000]).collect();
    enc.write_image::<colortype::RGB16>(90, 60, &deep).unwrap();
}

#[test]
fn multi_page_and_16_bit_tiff() {
    let dir = tempfile::tempdir().unwrap();
    write_tiffs(dir.path());
    let out = tempfile::tempdir().unwrap();
    let (r, _) = thumbs_json(dir.path(), out.path(), &["--sizes", "64", "--format", "png"], 0);
    assert_eq!(r["summary"]["ok"], 2, "{r}");
    let [r_, g, b] = centre(&out.path().join("pages_64.png"));
    assert!(r_ > 180 && g < 60 && b < 60, "pages.tif: {r_},{g},{b}, not the first page");
    // 40000/65535 of green becomes 155/255, not a wrapped or clipped value.
    let [_, g, b] = centre(&out.path().join("deep_64.png"));
    assert!((150..=160).contains(&g) && b < 10, "deep.TIF: green {g} blue {b}");
}

#[test]
fn dng_uses_a_big_enough_preview_or_develops_the_raw_data() {
    let dng = formats().join("raw/IMG_1001.dng");
    let out = tempfile::tempdir().unwrap();
    // Sensor 600x400 with orientation 6, preview 480x320, thumbnail 96x64.
    let (r, _) = thumbs_json(&dng, out.path(), &["--sizes", "64,256,1000", "--format", "png"], 0);
    assert_eq!(entry(&r, "IMG_1001.dng")["status"], "ok");
    // No preview holds 1000 px, so the raw data is developed: the sensor's
    // full size, turned upright (never enlarged).
    assert_eq!(dims(&out.path().join("IMG_1001_1000.png")), (400, 600));
    assert_eq!(dims(&out.path().join("IMG_1001_256.png")), (171, 256));
    let developed = image::open(out.path().join("IMG_1001_1000.png")).unwrap().resize_exact(
        85,
        128,
        image::imageops::FilterType::Triangle,
    );
    let diff = mean_diff(&developed.to_rgb8(), &lake_turned(out.path(), 128));
    assert!(diff < 8.0, "developed DNG differs from the photo by {diff}");

    // 256 alone fits in the 480x320 preview: same size, upright, same picture.
    let out2 = tempfile::tempdir().unwrap();
    thumbs_json(&dng, out2.path(), &["--sizes", "256", "--format", "png"], 0);
    let preview = image::open(out2.path().join("IMG_1001_256.png")).unwrap().to_rgb8();
    assert_eq!(preview.dimensions(), (171, 256));
    let diff = mean_diff(&preview, &lake_turned(out.path(), 256).view(0, 0, 171, 256).to_image());
    assert!(diff < 8.0, "DNG preview differs from the photo by {diff}");

    // --raw full and a DNG saved as .tif take the raw path too.
    let dir = tempfile::tempdir().unwrap();
    fs::copy(&dng, dir.path().join("renamed.tif")).unwrap();
    let out3 = tempfile::tempdir().unwrap();
    thumbs_json(dir.path(), out3.path(), &["--sizes", "256", "--raw", "full", "--format", "png"], 0);
    let full = image::open(out3.path().join("renamed_256.png")).unwrap().to_rgb8();
    assert_eq!(full.dimensions(), (171, 256));
    assert!(mean_diff(&full, &preview) < 8.0);
}

#[test]
fn dry_run_reads_only_headers_and_plans_the_same_sizes() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(formats().join("jxl/rotated.jxl"), dir.path().join("a.jxl")).unwrap();
    fs::copy(formats().join("raw/IMG_1001.dng"), dir.path().join("b.dng")).unwrap();
    fs::copy(formats().join("anim/anim-gif.gif"), dir.path().join("c.gif")).unwrap();
    let sizes = |r: &serde_json::Value| -> Vec<(String, u64, u64)> {
        let mut v: Vec<_> = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["outputs"].as_array().unwrap().clone())
            .map(|o| {
                (o["path"].as_str().unwrap().to_string(), o["width"].as_u64().unwrap(), o["height"].as_u64().unwrap())
            })
            .collect();
        v.sort();
        v
    };
    let out = tempfile::tempdir().unwrap();
    let (planned, _) = thumbs_json(dir.path(), out.path(), &["--sizes", "100,1000", "--dry-run"], 0);
    assert!(files_under(out.path()).is_empty(), "a dry run wrote files");
    let (done, _) = thumbs_json(dir.path(), out.path(), &["--sizes", "100,1000"], 0);
    assert_eq!(sizes(&planned), sizes(&done));
    assert_eq!(sizes(&done).len(), 6);
}

#[test]
fn unreadable_raw_fails_alone_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(formats().join("raw/DSC_0001.NEF"), dir.path().join("DSC_0001.NEF")).unwrap();
    fs::copy(formats().join("raw/IMG_1001.dng"), dir.path().join("IMG_1001.DNG")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, err) = thumbs_json(dir.path(), out.path(), &["--sizes", "128"], 1);
    assert_eq!(entry(&r, "IMG_1001.DNG")["status"], "ok");
    let nef = entry(&r, "DSC_0001.NEF");
    assert_eq!(nef["status"], "failed");
    let msg = nef["error"].as_str().unwrap();
    assert!(msg.contains("camera RAW") && msg.contains("NEF"), "{msg}");
    assert_eq!(err.lines().filter(|l| l.contains("DSC_0001.NEF")).count(), 1, "{err}");
}

#[test]
fn a_raw_whose_tiff_entries_claim_gigabytes_fails_alone() {
    // The fuzzer's find: a 400-byte NEF whose RowsPerStrip entry claims 3.3
    // billion LONGs, which rawler would allocate (13 GB) before reading.
    let mut b = b"II*\0\x08\0\0\0\x02\0".to_vec();
    for (tag, typ, count, value) in [(256u16, 4u16, 1u32, 8u32), (278, 4, 0xC800_0001, 0)] {
        for v in [&tag.to_le_bytes()[..], &typ.to_le_bytes(), &count.to_le_bytes(), &value.to_le_bytes()] {
            b.extend_from_slice(v);
        }
    }
    b.resize(400, 0);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bomb.NEF"), b).unwrap();
    write_jpeg(&dir.path().join("good.jpg"), 64, 48);
    let out = tempfile::tempdir().unwrap();
    let (r, _) = thumbs_json(dir.path(), out.path(), &["--sizes", "32"], 1);
    assert_eq!(entry(&r, "good.jpg")["status"], "ok");
    let e = entry(&r, "bomb.NEF")["error"].as_str().unwrap().to_string();
    assert!(e.starts_with("corrupt camera RAW: TIFF tag 278 claims 13421772804 bytes"), "{e}");
}

#[test]
fn a_raw_that_makes_the_raw_decoder_panic_is_reported_corrupt() {
    // The fuzzer's find: the DNG fixture with its raw image's BitsPerSample
    // (a SHORT 16) changed to 1281; rawler asserts on it.
    let mut dng = fs::read(formats().join("raw/IMG_1001.dng")).unwrap();
    let entry16 = [0x02, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00];
    let at = dng.windows(10).position(|w| w == entry16).expect("BitsPerSample 16 entry");
    dng[at + 8..at + 10].copy_from_slice(&1281u16.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("broken.dng"), dng).unwrap();
    fs::copy(formats().join("raw/IMG_1001.dng"), dir.path().join("fine.dng")).unwrap();
    let out = tempfile::tempdir().unwrap();
    // 1000 px: no preview is big enough, so the raw data must be read.
    let (r, err) = thumbs_json(dir.path(), out.path(), &["--sizes", "1000"], 1);
    assert_eq!(entry(&r, "fine.dng")["status"], "ok");
    let e = entry(&r, "broken.dng")["error"].as_str().unwrap().to_string();
    assert!(e.starts_with("corrupt DNG: the RAW decoder gave up: "), "{e}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A phone export: photos in every format, a video, sidecars, a text file.
fn phone_folder(d: &Path) {
    write_jpeg(&d.join("IMG_0001.JPG"), 300, 200);
    fs::copy(formats().join("jxl/rotated.jxl"), d.join("IMG_0004.jxl")).unwrap();
    fs::copy(formats().join("raw/IMG_1001.dng"), d.join("IMG_0005.DNG")).unwrap();
    fs::write(d.join("IMG_0001.MOV"), b"\0\0\0\x14ftypqt  \0\0\0\0qt  \0\0\0\x08free").unwrap();
    fs::write(d.join("IMG_0001.AAE"), b"<?xml version=\"1.0\"?>\n<plist version=\"1.0\"><dict/></plist>\n").unwrap();
    fs::write(d.join("IMG_0004.xmp"), b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"></x:xmpmeta>\n").unwrap();
    fs::write(d.join("notes.txt"), b"holiday 2026\n").unwrap();
    fs::write(d.join(".DS_Store"), b"\0\0\0\x01Bud1\0\0\x10\0").unwrap();
    // An image without extension is still seen.
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(upright(120, 80))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    fs::write(d.join("scan"), png).unwrap();
}

#[test]
fn nothing_under_the_inputs_goes_unmentioned() {
    let dir = tempfile::tempdir().unwrap();
    phone_folder(dir.path());
    let out = tempfile::tempdir().unwrap();
    let (r, err) = thumbs_json(dir.path(), out.path(), &["--sizes", "128"], 0);
    let s = &r["summary"];
    assert_eq!((s["total"].as_u64(), s["ok"].as_u64()), (Some(4), Some(4)), "{r}");
    assert_eq!(s["not_images"], 4);
    assert_eq!(s["not_image_kinds"], serde_json::json!({".AAE": 1, ".MOV": 1, ".txt": 1, ".xmp": 1}));
    assert_eq!(s["hidden_ignored"], 1);
    let listed: Vec<&str> = r["not_images"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(listed, [".AAE", ".MOV", ".xmp", ".txt"]);
    let summary = err.lines().last().unwrap();
    assert!(summary.contains("4 ok, 0 skipped, 0 failed"), "{summary}");
    assert!(summary.contains("4 other files not images (1 .AAE, 1 .MOV, 1 .txt, 1 .xmp)"), "{summary}");
    assert!(summary.contains("1 hidden not walked (--hidden)"), "{summary}");
    assert!(!err.contains("IMG_0001.MOV"), "non-images are listed only with --verbose: {err}");
    // Upper-case extensions and extensionless images map to outputs too; a
    // JPEG keeps its extension as written, other formats get the output's.
    for f in ["IMG_0001_128.JPG", "IMG_0004_128.jpg", "IMG_0005_128.jpg", "scan_128.png"] {
        assert!(out.path().join(f).is_file(), "{f} missing: {:?}", files_under(out.path()));
    }
    let out = tempfile::tempdir().unwrap();
    thumbs_json(dir.path(), out.path(), &["--sizes", "128", "--lowercase-ext"], 0);
    assert!(out.path().join("IMG_0001_128.jpg").is_file(), "{:?}", files_under(out.path()));

    // --verbose lists each one; --hidden counts the .DS_Store by its name.
    let out = tempfile::tempdir().unwrap();
    let (r, err) = thumbs_json(dir.path(), out.path(), &["--sizes", "128", "--verbose", "--hidden"], 0);
    assert_eq!(r["summary"]["not_image_kinds"][".DS_Store"], 1);
    for f in ["IMG_0001.MOV", "IMG_0001.AAE", "IMG_0004.xmp", "notes.txt", ".DS_Store"] {
        let path = dir.path().join(f);
        let lines: Vec<_> = err.lines().filter(|l| l.starts_with(path.to_str().unwrap())).collect();
        assert_eq!(lines.len(), 1, "{f}: {err}");
        assert!(lines[0].ends_with(": not an image, left alone"), "{}", lines[0]);
    }
}

#[test]
fn formats_imgbatch_does_not_read_fail_by_name_and_heif_reads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::copy(formats().join("heif/irot.heic"), d.join("IMG_0002.HEIC")).unwrap();
    fs::copy(formats().join("heif/alpha.avif"), d.join("photo.avif")).unwrap();
    fs::write(d.join("layers.psd"), b"8BPS\0\x01\0\0\0\0\0\0\0\x03\0\0\0\x40\0\0\0\x40\0\x08\0\x03").unwrap();
    fs::write(
        d.join("logo.svg"),
        br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>"#,
    )
    .unwrap();
    write_jpeg(&d.join("ok.jpg"), 64, 64);
    let out = tempfile::tempdir().unwrap();
    let (r, _) = thumbs_json(d, out.path(), &["--sizes", "32"], 1);
    // The default build reads HEIC and AVIF.
    assert_eq!(r["summary"]["ok"], 3);
    assert_eq!(r["summary"]["not_images"], 0, "images of unread formats are failures, not non-images");
    for (name, reason) in [("layers.psd", "unsupported format PSD: "), ("logo.svg", "unsupported format SVG: ")] {
        let e = entry(&r, name);
        assert_eq!(e["status"], "failed", "{name}");
        assert!(e["error"].as_str().unwrap().starts_with(reason), "{name}: {}", e["error"]);
    }
}

#[test]
fn a_folder_without_images_says_so() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("clip.MOV"), b"\0\0\0\x14ftypqt  \0\0\0\0qt  ").unwrap();
    fs::write(dir.path().join("a.txt"), b"a\n").unwrap();
    fs::write(dir.path().join("b.txt"), b"b\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = bin().args(["thumbs", "-o"]).arg(out.path()).arg(dir.path()).assert().success();
    let err = String::from_utf8_lossy(&o.get_output().stderr).into_owned();
    let want =
        format!("warning: no images found under {}: found 3 files not images (2 .txt, 1 .MOV)", dir.path().display());
    assert!(err.lines().any(|l| l == want), "{err}");
    assert!(files_under(out.path()).is_empty());
}

#[test]
fn a_non_image_named_on_the_command_line_fails() {
    let dir = tempfile::tempdir().unwrap();
    let txt = dir.path().join("notes.txt");
    fs::write(&txt, b"not a picture\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, _) = thumbs_json(&txt, out.path(), &[], 1);
    assert_eq!(entry(&r, "notes.txt")["error"], "not an image (looks like text)");
}
