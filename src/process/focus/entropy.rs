//! libvips' `entropy`, in our own terms: the crop window starts as the
//! whole image and shrinks side by side, each step dropping a slice from
//! whichever edge holds less information (the Shannon entropy of its
//! lightness histogram), until it has the crop's size; the focal point is
//! its centre. Transparent pixels count for nothing.

use super::{Sample, window_len};

/// Lightness levels of the histogram.
const LEVELS: usize = 256;

/// Entropy in bits of the lightness of the opaque pixels among `pixels`.
fn entropy(s: &Sample, pixels: impl Iterator<Item = usize>) -> f64 {
    let mut hist = [0u32; LEVELS];
    let mut n = 0u32;
    for i in pixels {
        if s.alpha[i] > 0.0 {
            let level = (s.lab[i][0] / 100.0 * (LEVELS - 1) as f32).round().clamp(0.0, (LEVELS - 1) as f32);
            hist[level as usize] += 1;
            n += 1;
        }
    }
    hist.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n as f64).map(|p| -p * p.log2()).sum()
}

/// Where a window of `keep` of `len` starts once trimmed, given the
/// entropy of any run of lines `from..to` across it.
fn trim(len: usize, keep: usize, entropy_of: impl Fn(usize, usize) -> f64) -> usize {
    let (mut start, mut width, mut turn) = (0, len, 0);
    while width > keep {
        // An eighth at a time, as libvips does: finer near the end.
        let slice = (width - keep).min((width / 8).max(1));
        let head = entropy_of(start, start + slice);
        let tail = entropy_of(start + width - slice, start + width);
        if head < tail {
            start += slice;
        } else if head == tail {
            // Neither side is plainer: trim both, so a plain image stays centred.
            start += (slice + turn) / 2;
            turn ^= 1;
        }
        width -= slice;
    }
    start
}

/// The focal point of the sample for a crop of `window` (fractions).
pub(super) fn focus(s: &Sample, window: (f64, f64)) -> (f64, f64) {
    let (w, h) = (s.width, s.height);
    let (ww, wh) = (window_len(w, window.0), window_len(h, window.1));
    let left = trim(w, ww, |a, b| entropy(s, (0..h).flat_map(|y| (a..b).map(move |x| y * w + x))));
    let top = trim(h, wh, |a, b| entropy(s, (a..b).flat_map(|y| (left..left + ww).map(move |x| y * w + x))));
    ((left as f64 + ww as f64 / 2.0) / w as f64, (top as f64 + wh as f64 / 2.0) / h as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(w: usize, h: usize, px: impl Fn(usize, usize) -> ([f32; 3], f32)) -> Sample {
        let (lab, alpha) = (0..w * h).map(|i| px(i % w, i / w)).unzip();
        Sample { width: w, height: h, lab, alpha }
    }

    /// Lightness that looks random: a hash of the position.
    fn noise(x: usize, y: usize) -> f32 {
        ((x * 7919 + y * 104_729) % 101) as f32
    }

    #[test]
    fn a_plain_image_keeps_the_centre() {
        let s = sample(64, 32, |_, _| ([50.0, 0.0, 0.0], 1.0));
        let (fx, fy) = focus(&s, (0.5, 1.0));
        assert!((fx - 0.5).abs() < 0.02 && fy == 0.5, "{fx},{fy}");
    }

    #[test]
    fn the_window_moves_to_the_textured_side() {
        let s = sample(64, 32, |x, y| ([if x < 12 { noise(x, y) } else { 50.0 }, 0.0, 0.0], 1.0));
        let (fx, _) = focus(&s, (0.5, 1.0));
        // The window of 32 starts at the left edge: centre at a quarter.
        assert_eq!(fx, 0.25);
        let s = sample(32, 64, |x, y| ([if y > 50 { noise(x, y) } else { 50.0 }, 0.0, 0.0], 1.0));
        assert_eq!(focus(&s, (1.0, 0.5)).1, 0.75);
    }

    #[test]
    fn the_smallest_images_and_all_transparent_ones_stay_inside() {
        for (w, h) in [(1, 1), (3, 1), (1, 2)] {
            let s = sample(w, h, |x, y| ([noise(x, y), 0.0, 0.0], 1.0));
            let (fx, fy) = focus(&s, (0.5, 0.5));
            assert!((0.0..=1.0).contains(&fx) && (0.0..=1.0).contains(&fy), "{w}x{h}");
        }
        let s = sample(40, 20, |x, y| ([noise(x, y), 0.0, 0.0], 0.0));
        let (fx, _) = focus(&s, (0.5, 1.0));
        assert!((fx - 0.5).abs() < 0.05, "{fx}");
    }

    #[test]
    fn transparent_texture_counts_for_nothing() {
        let s = sample(64, 32, |x, y| match x {
            0..12 => ([noise(x, y), 0.0, 0.0], 0.0),
            56.. => ([40.0 + (x + y) as f32 % 2.0 * 20.0, 0.0, 0.0], 1.0),
            _ => ([50.0, 0.0, 0.0], 1.0),
        });
        assert_eq!(focus(&s, (0.5, 1.0)).0, 0.75);
    }
}
