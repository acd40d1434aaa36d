//! Big images cost what their outputs need: a PNG is shrunk row by row as it
//! decodes and a sequential JPEG by libjpeg's DCT scaling, so `--max-pixels`
//! guards what is held in memory (the reduced image), not the header's size.
//! Progressive JPEGs keep every coefficient and stay checked at full size.
mod common;
use common::*;
use std::fs;
use std::path::Path;

fn run(args: &[&str], input: &Path, out: &Path, code: i32) -> serde_json::Value {
    let o = bin().args(args).args(["--json", "-o"]).arg(out).arg(input).assert().code(code);
    json(&o.get_output().stdout)
}

fn rgb(p: &Path) -> image::RgbImage {
    image::open(p).unwrap().to_rgb8()
}

#[test]
fn a_png_held_reduced_passes_max_pixels_and_matches_the_whole_decode() {
    let dir = tempfile::tempdir().unwrap();
    write_png(&dir.path().join("big.png"), 2400, 1600);
    let out = tempfile::tempdir().unwrap();
    // 3.8 MP declared; 300x200 held at 1/8.
    let r = run(&["thumbs", "--sizes", "64", "--max-pixels", "1000000"], dir.path(), out.path(), 0);
    assert_eq!(entry(&r, "big.png")["status"], "ok", "{r}");
    let streamed = rgb(&out.path().join("big_64.png"));
    assert_eq!(streamed.dimensions(), (64, 43));
    // The red block is top left, the blue one bottom right.
    let (red, blue) = (streamed.get_pixel(4, 4), streamed.get_pixel(60, 40));
    assert!(red[0] > 180 && red[2] < 60, "{red:?}");
    assert!(blue[2] > 180 && blue[0] < 60, "{blue:?}");
    // The same thumbnail from the whole image: only the filter chain differs.
    let whole = tempfile::tempdir().unwrap();
    run(&["thumbs", "--sizes", "64", "--no-shrink-on-load"], dir.path(), whole.path(), 0);
    let d = mean_diff(&streamed, &rgb(&whole.path().join("big_64.png")));
    assert!(d < 2.0, "mean difference {d} levels");
    // An output that needs the whole image: held whole, over the limit.
    let r = run(&["thumbs", "--sizes", "1500", "--max-pixels", "1000000"], dir.path(), out.path(), 1);
    assert_eq!(entry(&r, "big.png")["error"], "2400x1600 exceeds --max-pixels (1000000)");
}

#[cfg(feature = "jpeg-turbo")]
#[test]
fn a_sequential_jpeg_is_held_reduced_and_a_progressive_one_whole() {
    let dir = tempfile::tempdir().unwrap();
    write_jpeg(&dir.path().join("sequential.jpg"), 2400, 1600);
    let img = upright(2400, 1600);
    let mut progressive = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut progressive, 90);
    enc.set_progressive(true);
    enc.encode(img.as_raw(), 2400, 1600, jpeg_encoder::ColorType::Rgb).unwrap();
    fs::write(dir.path().join("progressive.jpg"), progressive).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = run(&["thumbs", "--sizes", "64", "--max-pixels", "1000000"], dir.path(), out.path(), 1);
    assert_eq!(entry(&r, "sequential.jpg")["status"], "ok", "{r}");
    assert_eq!(dims(&out.path().join("sequential_64.jpg")), (64, 43));
    assert_eq!(entry(&r, "progressive.jpg")["error"], "2400x1600 exceeds --max-pixels (1000000)");
}

#[test]
fn a_png_cut_inside_its_rows_is_truncated_or_kept_with_what_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(upright(2400, 1600))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png.truncate(png.len() / 2);
    fs::write(dir.path().join("cut.png"), &png).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = run(&["thumbs", "--sizes", "64"], dir.path(), out.path(), 1);
    assert_eq!(entry(&r, "cut.png")["error"], "truncated PNG");
    let r = run(&["thumbs", "--sizes", "64", "--allow-truncated"], dir.path(), out.path(), 0);
    let kept = entry(&r, "cut.png");
    let warning = kept["warning"].as_str().unwrap();
    assert!(warning.starts_with("truncated PNG: ") && warning.contains(" of 1600 rows decoded"), "{warning}");
    let thumb = rgb(&out.path().join("cut_64.png"));
    // The top rows came from the file (red block), the bottom is grey fill.
    let (top, bottom) = (thumb.get_pixel(4, 4), thumb.get_pixel(60, 40));
    assert!(top[0] > 180 && top[2] < 60, "{top:?}");
    assert!(bottom.0.iter().all(|&c| c.abs_diff(128) < 8), "{bottom:?}");
}
