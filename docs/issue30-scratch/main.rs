//! Bytes at equal SSIMULACRA2: jpeg-encoder against mozjpeg (trellis, default
//! settings of its compressor), on photos resized to fit 1600.
use std::time::Instant;

fn score(reference: &fast_ssim2::Ssimulacra2Reference, bytes: &[u8], w: usize, h: usize) -> f64 {
    let back = image::load_from_memory(bytes).unwrap().to_rgb8();
    let px: Vec<[u8; 3]> = back.pixels().map(|p| p.0).collect();
    reference.compare(imgref::Img::new(px.as_slice(), w, h)).unwrap()
}

fn jpeg_encoder(img: &image::RgbImage, q: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, q);
    e.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    e.encode(img.as_raw(), img.width() as u16, img.height() as u16, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

fn moz(img: &image::RgbImage, q: u8) -> Vec<u8> {
    let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    c.set_size(img.width() as usize, img.height() as usize);
    if std::env::var_os("MOZ_NO_SCAN_OPT").is_some() {
        c.set_optimize_scans(false);
    }
    c.set_quality(q as f32);
    let mut s = c.start_compress(Vec::new()).unwrap();
    s.write_scanlines(img.as_raw()).unwrap();
    s.finish().unwrap()
}

fn main() {
    let mut total = [0usize; 2];
    for path in std::env::args().skip(1) {
        let img = image::open(&path).unwrap().resize(1600, 1600, image::imageops::FilterType::Lanczos3).to_rgb8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        let px: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        let reference = fast_ssim2::Ssimulacra2Reference::new(imgref::Img::new(px.as_slice(), w, h)).unwrap();
        // Target: jpeg-encoder q85's score; mozjpeg: smallest q reaching it.
        let base = jpeg_encoder(&img, 85);
        let target = score(&reference, &base, w, h);
        let t = Instant::now();
        let _ = jpeg_encoder(&img, 85);
        let t_je = t.elapsed();
        let t = Instant::now();
        let _ = moz(&img, 85);
        let t_mz = t.elapsed();
        let (mut lo, mut hi) = (40u8, 100u8);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if score(&reference, &moz(&img, mid), w, h) >= target { hi = mid } else { lo = mid + 1 }
        }
        let m = moz(&img, lo);
        let ms = score(&reference, &m, w, h);
        total[0] += base.len();
        total[1] += m.len();
        println!("{}: target {target:.2} jpeg-encoder q85 {} B ({t_je:?}); mozjpeg q{lo} {} B score {ms:.2} ({t_mz:?} at q85) ratio {:.3}",
            path.rsplit('/').next().unwrap(), base.len(), m.len(), m.len() as f64 / base.len() as f64);
    }
    println!("total: jpeg-encoder {} mozjpeg {} ratio {:.3}", total[0], total[1], total[1] as f64 / total[0] as f64);
}
