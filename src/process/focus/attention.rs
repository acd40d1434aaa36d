//! libvips' `attention`, in our own terms: on the small copy every pixel
//! scores for edges (the Laplacian of lightness), skin tones and saturated
//! colour, times its opacity; the scores are blurred at the scale of the
//! crop, and the focal point is the highest, the one nearest the centre
//! among equals (so a plain image keeps the centre crop).

use image::{ImageBuffer, Luma};

use super::{Sample, window_len};

/// A Laplacian of this much lightness (of 100) scores as much as a skin
/// tone: a hard edge between two tones, not the grain of a plain area.
const FULL_EDGE: f32 = 20.0;

/// Scores within this fraction of the highest are equals.
const TIE: f32 = 1e-3;

/// 1 inside `lo..=hi`, falling to 0 over `soft` outside it.
fn within(v: f32, lo: f32, hi: f32, soft: f32) -> f32 {
    let out = (lo - v).max(v - hi).max(0.0);
    (1.0 - out / soft).max(0.0)
}

/// How much one pixel asks to be seen, before blurring.
fn score(lab: [f32; 3], laplacian: f32) -> f32 {
    let [l, a, b] = lab;
    let chroma = a.hypot(b);
    let hue = b.atan2(a).to_degrees();
    let edge = (laplacian.abs() / FULL_EDGE).min(1.0);
    // Skin of every shade sits in a narrow band of hues (orange-red) at
    // modest chroma; too dark or too bright to tell, it scores nothing.
    let skin = within(hue, 25.0, 70.0, 10.0) * within(chroma, 10.0, 45.0, 8.0) * within(l, 25.0, 90.0, 10.0);
    let saturated = ((chroma - 30.0) / 30.0).clamp(0.0, 1.0) * within(l, 10.0, 95.0, 5.0);
    edge + skin + saturated
}

/// Every pixel's score, times its opacity (transparent areas never draw the crop).
fn scores(s: &Sample) -> Vec<f32> {
    let (w, h) = (s.width, s.height);
    let l = |x: usize, y: usize| s.lab[y * w + x][0];
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            // The image's edge repeats outward: a border is not an edge.
            let c = l(x, y);
            let around = l(x.saturating_sub(1), y)
                + l((x + 1).min(w - 1), y)
                + l(x, y.saturating_sub(1))
                + l(x, (y + 1).min(h - 1));
            let i = y * w + x;
            out.push(score(s.lab[i], 4.0 * c - around) * s.alpha[i]);
        }
    }
    out
}

/// The focal point of the sample for a crop of `window` (fractions).
pub(super) fn focus(s: &Sample, window: (f64, f64)) -> (f64, f64) {
    let (w, h) = (s.width, s.height);
    let (ww, wh) = (window_len(w, window.0), window_len(h, window.1));
    // libvips' scale: a tenth of the crop's diagonal.
    let sigma = ((ww * ww + wh * wh) as f64).sqrt() / 10.0;
    let map = ImageBuffer::<Luma<f32>, Vec<f32>>::from_raw(w as u32, h as u32, scores(s));
    let Some(map) = map else { return (0.5, 0.5) };
    let blurred = image::imageops::blur(&map, sigma.max(1.0) as f32);
    peak(blurred.as_raw(), w, h)
}

/// The highest point, the one nearest the centre among equals, as fractions.
fn peak(v: &[f32], w: usize, h: usize) -> (f64, f64) {
    let top = v.iter().copied().fold(0.0f32, f32::max);
    if top <= 0.0 {
        return (0.5, 0.5);
    }
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let off = |i: usize| {
        let (x, y) = ((i % w) as f64 + 0.5, (i / w) as f64 + 0.5);
        (x - cx).powi(2) + (y - cy).powi(2)
    };
    let best = (0..v.len()).filter(|&i| v[i] >= top * (1.0 - TIE)).min_by(|&a, &b| off(a).total_cmp(&off(b)));
    match best {
        Some(i) => (((i % w) as f64 + 0.5) / w as f64, ((i / w) as f64 + 0.5) / h as f64),
        None => (0.5, 0.5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(w: usize, h: usize, px: impl Fn(usize, usize) -> ([f32; 3], f32)) -> Sample {
        let (lab, alpha) = (0..w * h).map(|i| px(i % w, i / w)).unzip();
        Sample { width: w, height: h, lab, alpha }
    }

    #[test]
    fn a_plain_image_keeps_the_centre() {
        let s = sample(40, 20, |_, _| ([50.0, 0.0, 0.0], 1.0));
        assert_eq!(focus(&s, (0.5, 1.0)), (0.5, 0.5));
    }

    #[test]
    fn skin_saturation_and_detail_each_draw_the_focus() {
        let grey = [60.0, 0.0, 0.0];
        let skin = [70.0, 14.0, 20.0];
        let red = [50.0, 70.0, 50.0];
        for (name, patch) in [("skin", skin), ("saturated", red)] {
            let s =
                sample(60, 30, |x, y| (if (4..12).contains(&x) && (10..18).contains(&y) { patch } else { grey }, 1.0));
            let (fx, fy) = focus(&s, (0.5, 1.0));
            assert!(fx < 0.25 && (0.3..0.6).contains(&fy), "{name}: {fx},{fy}");
        }
        // Detail: a checkerboard in the right quarter.
        let s = sample(60, 30, |x, y| {
            let on = x >= 48 && (x + y) % 2 == 0;
            ([if on { 90.0 } else { 60.0 }, 0.0, 0.0], 1.0)
        });
        assert!(focus(&s, (0.5, 1.0)).0 > 0.75);
    }

    #[test]
    fn the_smallest_images_and_all_transparent_ones_keep_the_centre() {
        for (w, h) in [(1, 1), (2, 1), (1, 3)] {
            let s = sample(w, h, |x, _| ([50.0 + x as f32 * 40.0, 60.0, 0.0], 1.0));
            let (fx, fy) = focus(&s, (0.5, 1.0));
            assert!((0.0..=1.0).contains(&fx) && (0.0..=1.0).contains(&fy), "{w}x{h}");
        }
        let s = sample(20, 10, |x, y| ([(x * y) as f32, 80.0, 0.0], 0.0));
        assert_eq!(focus(&s, (0.5, 1.0)), (0.5, 0.5));
    }

    #[test]
    fn transparent_areas_never_draw_the_focus() {
        // Hidden saturated colour under full transparency (as light as the
        // rest, so its outline is no edge either), a faint grey patch that shows.
        let s = sample(60, 30, |x, _| match x {
            0..10 => ([60.0, 70.0, 50.0], 0.0),
            50..56 => ([62.0, 0.0, 0.0], 1.0),
            _ => ([60.0, 0.0, 0.0], 1.0),
        });
        assert!(focus(&s, (0.5, 1.0)).0 > 0.6);
    }
}
