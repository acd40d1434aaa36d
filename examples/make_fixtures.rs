//! Regenerates the sample photo folder in `fixtures/photos/`:
//! `cargo run --release --example make_fixtures`.
//!
//! The images are synthetic landscapes (sky gradient, sun, hills, film-like
//! grain, an off-centre red house so rotations and mirrors are visible),
//! deterministic so the folder is reproducible, and small enough to keep the
//! whole fixtures folder well under 5 MB.

use std::fs;
use std::path::Path;

use image::{Rgb, RgbImage, Rgba, RgbaImage};

/// Deterministic grain: a tiny xorshift generator.
struct Grain(u32);

impl Grain {
    fn next(&mut self) -> i32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 % 17) as i32 - 8
    }
}

fn clamp(v: f32) -> u8 {
    v.clamp(0.0, 255.0) as u8
}

/// A landscape scene of `w`x`h`; `seed` varies hills, sun and colours.
fn scene(w: u32, h: u32, seed: u32) -> RgbImage {
    let mut grain = Grain(seed.wrapping_mul(2654435761) | 1);
    let s = seed as f32;
    let (sun_x, sun_y, sun_r) = (w as f32 * (0.2 + 0.1 * (s % 5.0)), h as f32 * 0.25, h as f32 * 0.08);
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let hill1 = 0.55 + 0.08 * (fx * 6.0 + s).sin() + 0.03 * (fx * 23.0 + s * 2.0).sin();
        let hill2 = 0.72 + 0.06 * (fx * 4.0 - s).cos();
        let mut c = if fy > hill2 {
            [40.0 + 30.0 * fy, 90.0 + 40.0 * (fx * 9.0).sin().abs(), 35.0]
        } else if fy > hill1 {
            [70.0, 120.0 + 30.0 * fy, 60.0]
        } else {
            [90.0 + 120.0 * fy, 140.0 + 90.0 * fy, 230.0 - 20.0 * fy]
        };
        let d = ((x as f32 - sun_x).powi(2) + (y as f32 - sun_y).powi(2)).sqrt();
        if d < sun_r {
            c = [255.0, 230.0, 150.0];
        }
        // An off-centre house makes every rotation and mirror distinguishable.
        if (0.65..0.75).contains(&fx) && (0.45..0.58).contains(&fy) {
            c = [190.0, 40.0, 35.0];
        }
        let g = grain.next() as f32;
        Rgb([clamp(c[0] + g), clamp(c[1] + g), clamp(c[2] + g)])
    })
}

fn save_jpeg(path: &Path, img: &RgbImage, orientation: Option<u16>) {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 85);
    if let Some(o) = orientation {
        enc.add_exif_metadata(&exif_orientation(o)).expect("exif");
    }
    let (w, h) = (img.width() as u16, img.height() as u16);
    enc.encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Rgb).expect("encode");
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, out).expect("write");
}

/// A minimal big-endian TIFF/EXIF block holding only the Orientation tag.
fn exif_orientation(o: u16) -> Vec<u8> {
    let mut v = b"MM\0\x2A\0\0\0\x08".to_vec();
    v.extend_from_slice(&1u16.to_be_bytes()); // one IFD entry
    v.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    v.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    v.extend_from_slice(&1u32.to_be_bytes()); // count
    v.extend_from_slice(&o.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    v
}

/// The displayed scene stored rotated so that Orientation=6 turns it upright.
fn stored_for_orientation_6(displayed: &RgbImage) -> RgbImage {
    image::imageops::rotate270(displayed)
}

fn logo(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        let (cx, cy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
        let r = (cx * cx + cy * cy).sqrt() / (h as f32 / 2.0);
        if r < 0.9 {
            let a = if r > 0.8 { ((0.9 - r) * 2550.0) as u8 } else { 255 };
            Rgba([30, (100.0 + 100.0 * r) as u8, 200, a])
        } else {
            Rgba([0, 0, 0, 0])
        }
    })
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/photos");
    save_jpeg(&root.join("lake.jpg"), &scene(1600, 1067, 1), None);
    save_jpeg(&root.join("2024/beach/sunset.jpg"), &scene(1200, 800, 2), None);
    save_jpeg(&root.join("2024/beach/small.jpg"), &scene(200, 150, 3), None);
    let tall = scene(800, 1200, 4);
    save_jpeg(&root.join("2024/city/rotated.jpg"), &stored_for_orientation_6(&tall), Some(6));
    save_jpeg(&root.join("2025/forest.jpeg"), &scene(1024, 1536, 5), None);
    let png = root.join("2025/logo.png");
    logo(512, 384).save(&png).expect("png");
    println!("fixtures written under {}", root.display());
}
