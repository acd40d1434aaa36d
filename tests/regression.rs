//! One test per known pitfall of the decoders we build on.
mod common;
use common::*;

/// zune-jpeg 0.5.15 (inside `image` 0.25.10) silently decodes baseline 4:2:0
/// JPEGs with one scan per component (`cjpeg -scans`) into garbage
/// (zune-image issues 419/422). The fixture was made with libjpeg-turbo's
/// cjpeg; the reference PNG is libjpeg-turbo's own decode of it.
#[test]
fn multi_scan_baseline_jpeg_decodes_like_libjpeg() {
    let out = tempfile::tempdir().unwrap();
    let reg = fixtures().join("regression");
    bin()
        .args(["resize", "--width", "400", "--format", "png", "-o"])
        .arg(out.path())
        .arg(reg.join("multiscan-baseline-420.jpg"))
        .assert()
        .success();
    let ours = image::open(out.path().join("multiscan-baseline-420.png")).unwrap().to_rgb8();
    let libjpeg = image::open(reg.join("multiscan-baseline-420.libjpeg.png")).unwrap().to_rgb8();
    let d = mean_diff(&ours, &libjpeg);
    assert!(d < 2.0, "mean difference {d} from libjpeg's decode");
}
