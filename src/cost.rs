//! How long a file will take, estimated before any worker touches it: what the
//! progress bar fills and its ETA runs on. Sizes alone mislead: on the photo
//! corpus a progressive JPEG takes three to four times as long per byte as a
//! baseline one of the same size, and a byte of PNG a quarter of a byte of
//! JPEG. So a file's head (which the walker reads anyway to sniff the
//! format) refines the guess for JPEG and PNG, the formats photo folders are
//! made of.
//!
//! Costs are in microseconds of one worker on the machine the weights were
//! measured on; only their ratios matter, since the ETA scales them by the
//! run's own pace.

use std::path::Path;

use crate::format::Class;
use crate::geometry;
use crate::job::{Job, OutFormat, Target};
use crate::probe::Probe;

/// How much of a file the walker reads when the bar needs its cost: enough
/// for a JPEG's frame header behind a phone's EXIF block (and its preview).
pub(crate) const HEAD: usize = 64 << 10;

/// Microseconds per byte of a class when nothing else is known: the
/// corpus's mean rate for thumbnails and web sizes (JPEG 69–96 ms per MB,
/// PNG 21–25).
fn per_byte(class: Class) -> f64 {
    match class {
        Class::Jpeg => 0.080,
        Class::Png => 0.022,
        Class::Tiff => 0.012,
        Class::Modern => 0.160,
        Class::Raw => 0.008,
        Class::Other => 0.000_8,
    }
}

/// What a file is worth to the bar, in estimated microseconds of work.
#[derive(Debug, Clone)]
pub(crate) struct CostModel {
    targets: Vec<Target>,
    upscale: bool,
}

/// Fixed cost of an image file: open, read, plan, write, report.
const PER_FILE_US: f64 = 500.0;
/// A worker reading the sizes of the outputs of an up-to-date input.
const UP_TO_DATE_US: u64 = 200;

impl CostModel {
    /// The model for `job`'s outputs.
    pub(crate) fn for_job(job: &Job) -> CostModel {
        CostModel { targets: job.operation.outputs(), upscale: job.image.upscale }
    }

    /// From the name and size alone (the listing pass opens no file).
    pub fn guess(&self, path: &Path, len: u64) -> u64 {
        let class = Class::of(path);
        let fixed = if class == Class::Other { 0.0 } else { PER_FILE_US };
        (fixed + len as f64 * per_byte(class)) as u64 + 1
    }

    /// An input whose outputs are all up to date: its worker only reads them.
    pub fn up_to_date(&self) -> u64 {
        UP_TO_DATE_US * self.targets.len() as u64
    }

    /// From the first bytes of the file (up to [`HEAD`]) as well: a model
    /// fitted to per-file times on the photo corpus, thumbnails and web
    /// sizes together (median error per file 10 %, sums within 5 %). A
    /// JPEG's entropy decoding goes with its bytes, a progressive one's
    /// extra passes with its pixels; a PNG's inflating with its bytes and
    /// its filtering with its pixels; encoding with the output's pixels.
    /// The outputs' encoding goes with their pixels at the output format's
    /// rate (an AVIF megapixel takes 200 times a JPEG one).
    pub fn estimate(&self, path: &Path, len: u64, probe: &Probe, format: OutFormat) -> u64 {
        self.by_header(len, probe, format).unwrap_or_else(|| self.guess(path, len))
    }

    fn by_header(&self, len: u64, probe: &Probe, format: OutFormat) -> Option<u64> {
        let mb = len as f64 / 1e6;
        let head = probe.head?;
        let size = head.size;
        let ms = match probe.format.row().class {
            Class::Jpeg => {
                let passes = if head.progressive { 10.7 * megapixels(size) } else { 0.0 };
                32.0 * mb + passes
            }
            Class::Png => 5.7 * mb + 6.5 * megapixels(size),
            _ => return None,
        } + format.row().encode_ms_per_mp * self.output_mp(size);
        Some((PER_FILE_US + ms * 1000.0) as u64 + 1)
    }

    /// Megapixels of all outputs of an image of `size`.
    fn output_mp(&self, size: (u32, u32)) -> f64 {
        self.targets.iter().map(|t| megapixels(geometry::plan(size, *t, self.upscale).canvas)).sum()
    }
}

fn megapixels((w, h): (u32, u32)) -> f64 {
    w as f64 * h as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Operation;
    use crate::probe::probe;

    fn thumbs() -> CostModel {
        CostModel::for_job(&Job::new(vec![], "out".into(), Operation::Thumbs { sizes: vec![256], crop: false }))
    }

    fn jpeg(progressive: bool) -> Vec<u8> {
        let img = image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([x as u8, y as u8, (x ^ y) as u8]));
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
        enc.set_progressive(progressive);
        enc.encode(img.as_raw(), 640, 480, jpeg_encoder::ColorType::Rgb).unwrap();
        out
    }

    #[test]
    fn a_byte_of_png_costs_less_than_a_byte_of_jpeg_when_only_sizes_are_known() {
        let m = thumbs();
        let (jpeg, png, text) = (
            m.guess(Path::new("a.JPG"), 1 << 20),
            m.guess(Path::new("a.png"), 1 << 20),
            m.guess(Path::new("a.txt"), 1 << 20),
        );
        assert!(png < jpeg && text < png, "{jpeg} {png} {text}");
    }

    #[test]
    fn the_output_format_prices_the_encoding_by_its_rate() {
        let m = thumbs();
        let bytes = jpeg(false);
        let p = probe(&bytes, Some("jpg")).unwrap();
        let at = |f: OutFormat| m.estimate(Path::new("a.jpg"), bytes.len() as u64, &p, f) as f64;
        // One 256x192 output: the difference is the encoding alone.
        let out_mp = 256.0 * 192.0 / 1e6;
        let rate = |f: OutFormat| f.row().encode_ms_per_mp;
        let expected = (rate(OutFormat::Avif) - rate(OutFormat::Jpeg)) * out_mp * 1000.0;
        assert!((at(OutFormat::Avif) - at(OutFormat::Jpeg) - expected).abs() < 2.0, "{expected}");
        assert!(at(OutFormat::Avif) > 10.0 * at(OutFormat::Jpeg) && at(OutFormat::Webp) > at(OutFormat::Jpeg));
    }

    #[test]
    fn a_progressive_jpeg_costs_more_than_a_baseline_one_of_the_same_size() {
        let m = thumbs();
        let (base, prog) = (jpeg(false), jpeg(true));
        let len = base.len() as u64;
        let at =
            |bytes: &[u8]| m.estimate(Path::new("a.jpg"), len, &probe(bytes, Some("jpg")).unwrap(), OutFormat::Jpeg);
        let (b, p) = (at(&base), at(&prog));
        assert!(p > b + 2000, "baseline {b} µs, progressive {p} µs");
    }

    #[test]
    fn the_header_counts_pixels_a_guess_from_the_size_cannot_see() {
        let m = thumbs();
        let mut small = Vec::new();
        let mut big = Vec::new();
        let enc = |w: u32, out: &mut Vec<u8>| {
            image::GrayImage::new(w, w).write_to(&mut std::io::Cursor::new(out), image::ImageFormat::Png).unwrap()
        };
        enc(64, &mut small);
        enc(4000, &mut big);
        // Both files are tiny (flat images compress to nothing) but the big one
        // has 16 MP to filter: it must cost far more than its size says.
        let len = big.len() as u64;
        let at = |name: &str, bytes: &[u8]| {
            m.estimate(Path::new(name), bytes.len() as u64, &probe(bytes, None).unwrap(), OutFormat::Jpeg)
        };
        assert!(at("b.png", &big) > 20 * m.guess(Path::new("b.png"), len));
        assert!(at("s.png", &small) < 2 * PER_FILE_US as u64);
    }

    #[test]
    fn an_unreadable_head_falls_back_to_the_guess() {
        let m = thumbs();
        let at =
            |name: &str, head: &[u8]| m.estimate(Path::new(name), 5000, &probe(head, None).unwrap(), OutFormat::Jpeg);
        assert_eq!(at("a.jpg", b"\xFF\xD8\xFF"), m.guess(Path::new("a.jpg"), 5000));
        assert_eq!(at("a.tif", b"II*\0"), m.guess(Path::new("a.tif"), 5000));
    }
}
