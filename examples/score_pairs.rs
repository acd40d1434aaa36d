//! An outside check of `--target` (benches/quality_t2.sh): the SSIMULACRA2
//! score of every JPEG under TEST_DIR against the PNG of the same relative
//! name under REF_DIR (the same resize, written losslessly), decoded by the
//! `image` crate rather than imgbatch's own decoders; prints the total
//! bytes and the lowest, median and highest score.
//! Usage: cargo run --release --example score_pairs REF_DIR TEST_DIR
use std::error::Error;
use std::path::{Path, PathBuf};

fn pixels(path: &Path) -> Result<image::RgbImage, Box<dyn Error>> {
    Ok(image::open(path).map_err(|e| format!("{}: {e}", path.display()))?.to_rgb8())
}

fn view(img: &image::RgbImage, w: usize, h: usize) -> imgref::ImgRef<'_, [u8; 3]> {
    imgref::Img::new(img.as_raw().as_chunks::<3>().0, w, h)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [reference, test] = args.as_slice() else { return Err("usage: score_pairs REF_DIR TEST_DIR".into()) };
    let mut scores: Vec<(f64, PathBuf)> = Vec::new();
    let mut bytes = 0;
    for entry in walkdir::WalkDir::new(test).into_iter().filter_entry(|e| e.file_name() != ".imgbatch") {
        let entry = entry?;
        let jpeg = entry.path().extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg"));
        if !entry.file_type().is_file() || !jpeg {
            continue;
        }
        let rel = entry.path().strip_prefix(test)?.with_extension("png");
        let (r, d) = (pixels(&reference.join(&rel))?, pixels(entry.path())?);
        if r.dimensions() != d.dimensions() {
            return Err(
                format!("{}: {:?}, reference {:?}", entry.path().display(), d.dimensions(), r.dimensions()).into()
            );
        }
        let (w, h) = (r.width() as usize, r.height() as usize);
        let score = fast_ssim2::compute_ssimulacra2(view(&r, w, h), view(&d, w, h))?;
        bytes += entry.metadata()?.len();
        scores.push((score, rel));
    }
    scores.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (Some(low), Some(high)) = (scores.first(), scores.last()) else { return Err("no JPEGs".into()) };
    let median = scores[scores.len() / 2].0;
    println!(
        "files {} bytes {bytes} lowest {:.2} ({}) median {median:.2} highest {:.2}",
        scores.len(),
        low.0,
        low.1.display(),
        high.0
    );
    Ok(())
}
