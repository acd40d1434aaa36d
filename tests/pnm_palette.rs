//! The two inputs added by the recipe in docs/architecture.md ("adding a
//! format"): Netpbm (PPM, PGM, PBM, PAM), and palette TIFF, which scanner and
//! GIS software write. Both are made here, byte by byte.
mod common;
use common::*;
use image::GenericImageView;
use std::fs;

/// The output's pixel at (x, y), as RGB.
fn pixel(path: &std::path::Path, x: u32, y: u32) -> [u8; 3] {
    let p = image::open(path).unwrap().get_pixel(x, y).0;
    [p[0], p[1], p[2]]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 12)
}

#[test]
fn netpbm_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // P6: 40x20, left half red, right half blue.
    let mut ppm = b"P6\n# made by a test\n40 20\n255\n".to_vec();
    for _y in 0..20 {
        for x in 0..40 {
            ppm.extend_from_slice(if x < 20 { &[220, 20, 20] } else { &[20, 20, 220] });
        }
    }
    fs::write(d.join("scan.ppm"), ppm).unwrap();
    // P5: 30x30 mid grey.
    let mut pgm = b"P5 30 30 255\n".to_vec();
    pgm.extend(std::iter::repeat_n(128u8, 900));
    fs::write(d.join("grey.pgm"), pgm).unwrap();
    // P1 (plain bitmap): 8x4, the top half black.
    fs::write(d.join("mask.pbm"), "P1\n8 4\n11111111\n11111111\n00000000\n00000000\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = bin().args(["thumbs", "--sizes", "16", "--json", "-o"]).arg(out.path()).arg(d).assert().success();
    let r = json(&o.get_output().stdout);
    assert_eq!(r["summary"]["ok"], 3, "{r}");
    assert_eq!(files_under(out.path()), ["grey_16.jpg", "mask_16.jpg", "scan_16.jpg"]);
    let scan = out.path().join("scan_16.jpg");
    assert_eq!(dims(&scan), (16, 8));
    assert!(near(pixel(&scan, 2, 4), [220, 20, 20]) && near(pixel(&scan, 13, 4), [20, 20, 220]));
    assert!(near(pixel(&out.path().join("grey_16.jpg"), 8, 8), [128, 128, 128]));
    let mask = out.path().join("mask_16.jpg");
    assert_eq!(dims(&mask), (8, 4), "not enlarged");
    assert!(pixel(&mask, 4, 0)[0] < 40 && pixel(&mask, 4, 3)[0] > 215, "PBM 1 is black");
}

#[test]
fn palette_tiffs_are_read_at_every_index_depth() {
    let dir = tempfile::tempdir().unwrap();
    let palette = [[0, 0, 0], [200, 30, 30], [30, 30, 200], [240, 240, 240]];
    for bits in [1, 2, 4, 8] {
        // Left half index 1, right half index 0 (1-bit) or 2.
        let right = if bits == 1 { 0 } else { 2 };
        let tiff = palette_tiff(33, 20, bits, &palette, |x, _| if x < 16 { 1 } else { right });
        fs::write(dir.path().join(format!("map{bits}.tif")), tiff).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let o = bin().args(["resize", "--width", "33", "--json", "-o"]).arg(out.path()).arg(dir.path()).assert().success();
    let r = json(&o.get_output().stdout);
    assert_eq!(r["summary"]["ok"], 4, "{r}");
    for bits in [1, 2, 4, 8] {
        let path = out.path().join(format!("map{bits}.jpg"));
        assert_eq!(dims(&path), (33, 20), "{bits}-bit");
        assert!(near(pixel(&path, 4, 10), [200, 30, 30]), "{bits}-bit left: {:?}", pixel(&path, 4, 10));
        let expect = if bits == 1 { [0, 0, 0] } else { [30, 30, 200] };
        assert!(near(pixel(&path, 28, 10), expect), "{bits}-bit right: {:?}", pixel(&path, 28, 10));
    }
}

#[test]
fn a_palette_tiff_without_its_colour_map_fails_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut tiff = palette_tiff(8, 8, 8, &[[1, 2, 3]], |_, _| 0);
    // Point the ColorMap's 768 entries past the end of the file.
    let n = tiff.len();
    let last_entry = n - 4 - 12;
    tiff[last_entry + 8..last_entry + 12].copy_from_slice(&(n as u32 + 1000).to_le_bytes());
    fs::write(dir.path().join("nomap.tif"), tiff).unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = bin().args(["thumbs", "--json", "-o"]).arg(out.path()).arg(dir.path()).assert().code(1);
    let e = entry(&json(&o.get_output().stdout), "nomap.tif").clone();
    assert_eq!(e["status"], "failed");
    assert!(e["error"].as_str().unwrap().contains("TIFF"), "{e}");
}
