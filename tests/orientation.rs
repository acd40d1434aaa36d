//! EXIF orientation: all eight values come out upright, and no tag survives.
mod common;
use common::*;
use image::DynamicImage;
use image::metadata::Orientation;

/// The stored pixels that orientation `o` turns into `up`.
fn stored_for(up: &image::RgbImage, o: u8) -> image::RgbImage {
    // Every orientation is its own inverse except the two quarter turns.
    let inverse = match o {
        6 => 8,
        8 => 6,
        x => x,
    };
    let mut img = DynamicImage::ImageRgb8(up.clone());
    img.apply_orientation(Orientation::from_exif(inverse).unwrap());
    img.to_rgb8()
}

#[test]
fn all_eight_orientations_come_out_upright() {
    let dir = tempfile::tempdir().unwrap();
    let up = upright(120, 80);
    for o in 1..=8u8 {
        let bytes = jpeg_bytes(&stored_for(&up, o), 95, Some(o as u16), None);
        std::fs::write(dir.path().join(format!("o{o}.jpg")), bytes).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    // Same size (no resampling) and a real resize with a centre crop.
    bin()
        .args(["resize", "--width", "120", "--format", "png", "-o"])
        .arg(out.path().join("full"))
        .arg(dir.path())
        .assert()
        .success();
    bin()
        .args(["thumbs", "--crop", "--sizes", "40", "--format", "png", "-o"])
        .arg(out.path().join("crop"))
        .arg(dir.path())
        .assert()
        .success();
    let reference = image::open(out.path().join("crop/o1_40.png")).unwrap().to_rgb8();
    for o in 1..=8 {
        let full = image::open(out.path().join(format!("full/o{o}.png"))).unwrap().to_rgb8();
        assert_eq!(full.dimensions(), (120, 80), "orientation {o}");
        assert!(mean_diff(&full, &up) < 4.0, "orientation {o}: diff {}", mean_diff(&full, &up));
        // Independent of any library's transform: the red block is top-left.
        let p = full.get_pixel(5, 5).0;
        assert!(p[0] > 180 && p[2] < 60, "orientation {o}: top-left is {p:?}");
        let crop = image::open(out.path().join(format!("crop/o{o}_40.png"))).unwrap().to_rgb8();
        assert!(mean_diff(&crop, &reference) < 4.0, "orientation {o} (crop)");
    }
}

#[test]
fn no_auto_orient_keeps_pixels_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let up = upright(120, 80);
    std::fs::write(dir.path().join("r.jpg"), jpeg_bytes(&stored_for(&up, 6), 95, Some(6), None)).unwrap();
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["thumbs", "--sizes", "60", "--no-auto-orient", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .assert()
        .success();
    assert_eq!(dims(&out.path().join("r_60.jpg")), (40, 60));
    bin().args(["thumbs", "--sizes", "60", "-o"]).arg(out.path().join("auto")).arg(dir.path()).assert().success();
    assert_eq!(dims(&out.path().join("auto/r_60.jpg")), (60, 40));
}

#[test]
fn outputs_carry_no_orientation_but_keep_the_icc_profile_when_asked() {
    use image::ImageDecoder;
    let dir = tempfile::tempdir().unwrap();
    let icc: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
    let bytes = jpeg_bytes(&stored_for(&upright(120, 80), 6), 95, Some(6), Some(&icc));
    std::fs::write(dir.path().join("p.jpg"), bytes).unwrap();
    let out = tempfile::tempdir().unwrap();
    // --colour keep copies the profile (the default converts to sRGB instead).
    bin()
        .args(["thumbs", "--sizes", "60", "--colour", "keep", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .assert()
        .success();
    let data = std::fs::read(out.path().join("p_60.jpg")).unwrap();
    let mut dec = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&data)).unwrap();
    assert_eq!(dec.orientation().unwrap(), Orientation::NoTransforms);
    assert_eq!(dec.exif_metadata().unwrap(), None, "EXIF is stripped");
    assert_eq!(dec.icc_profile().unwrap(), Some(icc));
}
