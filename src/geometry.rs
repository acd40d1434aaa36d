//! Fit geometry: from a source size and a requested box to the region to read,
//! the size to resample it to, and the final canvas. Pure arithmetic, so every
//! fit mode is unit-tested here without touching pixels.

use image::metadata::Orientation;

use crate::job::{Fit, Target};
use crate::report::CropBox;

/// A rectangle of the source, in (fractional) source pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crop {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// How one output is made from one source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Region of the source that is used (all of it except for `cover`).
    pub crop: Crop,
    /// Size the region is resampled to.
    pub scaled: (u32, u32),
    /// Final image size; larger than `scaled` only for `contain` (letterbox).
    pub canvas: (u32, u32),
}

impl Plan {
    /// The same plan for the source as it is stored, before `orientation`
    /// turns it into the displayed `display`-sized image: the resize runs on
    /// the stored pixels and only its small result is turned, which is
    /// cheaper. A crop placed off-centre (a focal point) moves with the turn.
    pub(crate) fn in_stored(&self, orientation: Orientation, display: (u32, u32)) -> Plan {
        let swap = |(a, b): (u32, u32)| (b, a);
        let turned = swaps_axes(orientation);
        Plan {
            crop: self.crop.in_stored(orientation, display),
            scaled: if turned { swap(self.scaled) } else { self.scaled },
            canvas: if turned { swap(self.canvas) } else { self.canvas },
        }
    }

    /// The plan with its crop moved so that its centre falls on `focus`
    /// (fractions of `src`), as near as the crop can go without leaving the
    /// image. Plans that crop nothing are unchanged.
    pub fn centred_on(mut self, focus: (f64, f64), src: (u32, u32)) -> Plan {
        let place =
            |len: u32, size: f64, at: f64| (at * len as f64 - size / 2.0).clamp(0.0, (len as f64 - size).max(0.0));
        self.crop.x = place(src.0, self.crop.w, focus.0);
        self.crop.y = place(src.1, self.crop.h, focus.1);
        self
    }

    /// Whether the pixels go through the resampler unchanged.
    pub(crate) fn is_identity(&self, src: (u32, u32)) -> bool {
        self.scaled == src
            && self.crop.x == 0.0
            && self.crop.y == 0.0
            && self.crop.w == src.0 as f64
            && self.crop.h == src.1 as f64
    }
}

fn scaled(len: u32, scale: f64) -> u32 {
    ((len as f64 * scale).round() as u32).max(1)
}

fn centred(src: (u32, u32), w: f64, h: f64) -> Crop {
    Crop { x: (src.0 as f64 - w) / 2.0, y: (src.1 as f64 - h) / 2.0, w, h }
}

/// Whether `o` turns the image by a quarter, so that width and height swap.
pub(crate) fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    )
}

/// Computes the plan for `src` (displayed size, after orientation).
pub fn plan(src: (u32, u32), target: Target, upscale: bool) -> Plan {
    let (sw, sh) = (src.0.max(1), src.1.max(1));
    let full = Crop { x: 0.0, y: 0.0, w: sw as f64, h: sh as f64 };
    let cap = |s: f64| if upscale { s } else { s.min(1.0) };
    let (bw, bh) = match (target.width, target.height) {
        (Some(w), Some(h)) => (w.max(1), h.max(1)),
        // One side given: the other follows the aspect ratio, so every fit is
        // the same proportional scale.
        (Some(w), None) => {
            let s = cap(w as f64 / sw as f64);
            let size = (scaled(sw, s), scaled(sh, s));
            return Plan { crop: full, scaled: size, canvas: size };
        }
        (None, Some(h)) => {
            let s = cap(h as f64 / sh as f64);
            let size = (scaled(sw, s), scaled(sh, s));
            return Plan { crop: full, scaled: size, canvas: size };
        }
        (None, None) => return Plan { crop: full, scaled: (sw, sh), canvas: (sw, sh) },
    };
    let (rx, ry) = (bw as f64 / sw as f64, bh as f64 / sh as f64);
    match target.fit {
        Fit::Inside | Fit::Outside => {
            let s = if target.fit == Fit::Inside { rx.min(ry) } else { rx.max(ry) };
            let s = cap(s);
            let size = (scaled(sw, s), scaled(sh, s));
            Plan { crop: full, scaled: size, canvas: size }
        }
        Fit::Contain => {
            let s = cap(rx.min(ry));
            let size = (scaled(sw, s).min(bw), scaled(sh, s).min(bh));
            Plan { crop: full, scaled: size, canvas: (bw, bh) }
        }
        Fit::Fill => {
            let size = if upscale { (bw, bh) } else { (bw.min(sw), bh.min(sh)) };
            Plan { crop: full, scaled: size, canvas: size }
        }
        Fit::Cover => {
            // Without upscale a box bigger than the source shrinks to what the
            // source can fill, keeping the box's aspect ratio.
            let s = rx.max(ry);
            let (ow, oh) = if upscale || s <= 1.0 {
                (bw, bh)
            } else {
                let k = (sw as f64 / bw as f64).min(sh as f64 / bh as f64);
                (scaled(bw, k).min(sw), scaled(bh, k).min(sh))
            };
            // The largest centred region with the output's aspect ratio.
            let aspect = ow as f64 / oh as f64;
            let (cw, ch) = if sw as f64 / sh as f64 > aspect {
                (sh as f64 * aspect, sh as f64)
            } else {
                (sw as f64, sw as f64 / aspect)
            };
            Plan { crop: centred((sw, sh), cw, ch), scaled: (ow, oh), canvas: (ow, oh) }
        }
    }
}

/// The largest shrink-on-load factor (1, 2, 4 or 8) that still leaves
/// `margin` times the output size in the region the plan reads: 2 keeps
/// the exact resize that follows at full quality (libvips' rule), 1 is
/// sharp's faster default.
pub(crate) fn max_shrink(plan: &Plan, margin: f64) -> u32 {
    let room = (plan.crop.w / (margin * plan.scaled.0.max(1) as f64))
        .min(plan.crop.h / (margin * plan.scaled.1.max(1) as f64));
    [8, 4, 2].into_iter().find(|&s| room >= s as f64).unwrap_or(1)
}

/// One of the steps `image` applies for an orientation, undone on a
/// rectangle of the image as it is after the step (`size`).
#[derive(Clone, Copy)]
enum Step {
    /// A quarter turn clockwise.
    Rotate90,
    Rotate180,
    Rotate270,
    FlipH,
    FlipV,
}

/// The steps of `image::DynamicImage::apply_orientation`, in order.
fn steps(o: Orientation) -> &'static [Step] {
    match o {
        Orientation::NoTransforms => &[],
        Orientation::Rotate90 => &[Step::Rotate90],
        Orientation::Rotate180 => &[Step::Rotate180],
        Orientation::Rotate270 => &[Step::Rotate270],
        Orientation::FlipHorizontal => &[Step::FlipH],
        Orientation::FlipVertical => &[Step::FlipV],
        Orientation::Rotate90FlipH => &[Step::Rotate90, Step::FlipH],
        Orientation::Rotate270FlipH => &[Step::Rotate270, Step::FlipH],
    }
}

impl Crop {
    /// The region of the stored image that `orientation` turns into this
    /// region of the displayed, `display`-sized one.
    pub(crate) fn in_stored(self, orientation: Orientation, display: (u32, u32)) -> Crop {
        let (mut c, mut size) = (self, (display.0 as f64, display.1 as f64));
        for step in steps(orientation).iter().rev() {
            let (w, h) = size;
            c = match step {
                Step::FlipH => Crop { x: w - c.x - c.w, ..c },
                Step::FlipV => Crop { y: h - c.y - c.h, ..c },
                Step::Rotate180 => Crop { x: w - c.x - c.w, y: h - c.y - c.h, ..c },
                // Stored (x, y) lands at (H - 1 - y, x) after a clockwise turn.
                Step::Rotate90 => Crop { x: c.y, y: w - c.x - c.w, w: c.h, h: c.w },
                Step::Rotate270 => Crop { x: h - c.y - c.h, y: c.x, w: c.h, h: c.w },
            };
            if matches!(step, Step::Rotate90 | Step::Rotate270) {
                size = (h, w);
            }
        }
        c
    }

    /// The region in whole pixels, for the report.
    pub fn to_box(self) -> CropBox {
        let (x, y) = (self.x.round(), self.y.round());
        CropBox {
            x: x as u32,
            y: y as u32,
            width: ((self.x + self.w).round() - x).max(1.0) as u32,
            height: ((self.y + self.h).round() - y).max(1.0) as u32,
        }
    }

    /// The same region in an image scaled by `fx`, `fy`.
    pub(crate) fn scaled(self, fx: f64, fy: f64) -> Crop {
        Crop { x: self.x * fx, y: self.y * fy, w: self.w * fx, h: self.h * fy }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(w: Option<u32>, h: Option<u32>, fit: Fit) -> Target {
        Target { width: w, height: h, fit }
    }

    #[test]
    fn inside_keeps_aspect_and_fits_the_box() {
        let p = plan((1800, 1200), t(Some(256), Some(256), Fit::Inside), false);
        assert_eq!(p.scaled, (256, 171));
        assert_eq!(p.canvas, (256, 171));
        let p = plan((1200, 1800), t(Some(256), Some(256), Fit::Inside), false);
        assert_eq!(p.scaled, (171, 256));
    }

    #[test]
    fn inside_never_enlarges_without_upscale() {
        let p = plan((100, 50), t(Some(256), Some(256), Fit::Inside), false);
        assert_eq!(p.scaled, (100, 50));
        assert!(p.is_identity((100, 50)));
        let p = plan((100, 50), t(Some(256), Some(256), Fit::Inside), true);
        assert_eq!(p.scaled, (256, 128));
    }

    #[test]
    fn outside_covers_the_box_without_crop() {
        let p = plan((1800, 1200), t(Some(300), Some(300), Fit::Outside), false);
        assert_eq!(p.scaled, (450, 300));
        assert_eq!(p.crop.w, 1800.0);
    }

    #[test]
    fn cover_crops_the_centre_to_the_exact_box() {
        let p = plan((1800, 1200), t(Some(300), Some(300), Fit::Cover), false);
        assert_eq!(p.scaled, (300, 300));
        assert_eq!(p.crop, Crop { x: 300.0, y: 0.0, w: 1200.0, h: 1200.0 });
        let p = plan((1200, 1800), t(Some(400), Some(200), Fit::Cover), false);
        assert_eq!(p.scaled, (400, 200));
        assert_eq!(p.crop, Crop { x: 0.0, y: 600.0, w: 1200.0, h: 600.0 });
    }

    #[test]
    fn cover_without_upscale_shrinks_the_box_keeping_its_aspect() {
        let p = plan((200, 100), t(Some(256), Some(256), Fit::Cover), false);
        assert_eq!(p.scaled, (100, 100));
        assert_eq!(p.crop, Crop { x: 50.0, y: 0.0, w: 100.0, h: 100.0 });
    }

    #[test]
    fn contain_letterboxes_onto_the_full_box() {
        let p = plan((1800, 1200), t(Some(300), Some(300), Fit::Contain), false);
        assert_eq!(p.scaled, (300, 200));
        assert_eq!(p.canvas, (300, 300));
    }

    #[test]
    fn fill_stretches_to_the_box() {
        let p = plan((1800, 1200), t(Some(300), Some(300), Fit::Fill), false);
        assert_eq!(p.scaled, (300, 300));
        assert_eq!(p.crop.w, 1800.0);
        let p = plan((100, 100), t(Some(300), Some(50), Fit::Fill), false);
        assert_eq!(p.scaled, (100, 50));
    }

    #[test]
    fn one_side_follows_the_aspect_ratio_in_every_mode() {
        for fit in [Fit::Inside, Fit::Cover, Fit::Contain, Fit::Fill, Fit::Outside] {
            let p = plan((1800, 1200), t(Some(900), None, fit), false);
            assert_eq!(p.canvas, (900, 600), "{fit:?}");
            let p = plan((1800, 1200), t(None, Some(300), fit), false);
            assert_eq!(p.canvas, (450, 300), "{fit:?}");
        }
    }

    #[test]
    fn tiny_results_are_at_least_one_pixel() {
        let p = plan((10000, 10), t(Some(100), Some(100), Fit::Inside), false);
        assert_eq!(p.scaled, (100, 1));
    }

    #[test]
    fn a_quarter_turn_swaps_axes() {
        let p = plan((1800, 1200), t(Some(300), Some(200), Fit::Cover), false);
        let s = p.in_stored(Orientation::Rotate90, (1800, 1200));
        assert_eq!(s.scaled, (200, 300));
        assert_eq!(s.crop.w, p.crop.h);
        assert_eq!(s.crop.h, p.crop.w);
    }

    #[test]
    fn a_crop_of_the_displayed_image_is_the_same_pixels_in_the_stored_one() {
        // Every stored pixel holds its own coordinates; a region cut from the
        // stored image and turned must equal the same region cut after turning.
        let stored = image::RgbImage::from_fn(7, 4, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let all = [
            Orientation::NoTransforms,
            Orientation::Rotate90,
            Orientation::Rotate180,
            Orientation::Rotate270,
            Orientation::FlipHorizontal,
            Orientation::FlipVertical,
            Orientation::Rotate90FlipH,
            Orientation::Rotate270FlipH,
        ];
        for o in all {
            let mut shown = image::DynamicImage::ImageRgb8(stored.clone());
            shown.apply_orientation(o);
            let display = (shown.width(), shown.height());
            let want = Crop { x: 1.0, y: 0.0, w: 2.0, h: 3.0 };
            let c = want.in_stored(o, display);
            let mut cut =
                image::DynamicImage::ImageRgb8(stored.clone()).crop_imm(c.x as u32, c.y as u32, c.w as u32, c.h as u32);
            cut.apply_orientation(o);
            let expect = shown.crop_imm(1, 0, 2, 3);
            assert_eq!(cut.to_rgb8(), expect.to_rgb8(), "{o:?}");
        }
    }

    #[test]
    fn a_focal_point_moves_the_crop_as_far_as_the_image_allows() {
        let p = plan((1800, 1200), t(Some(300), Some(300), Fit::Cover), false);
        assert_eq!(p.centred_on((0.5, 0.5), (1800, 1200)).crop, p.crop);
        assert_eq!(p.centred_on((0.0, 0.3), (1800, 1200)).crop.x, 0.0);
        assert_eq!(p.centred_on((1.0, 0.3), (1800, 1200)).crop.x, 600.0);
        assert_eq!(p.centred_on((0.5, 0.3), (1800, 1200)).crop.x, 300.0);
        assert_eq!(p.centred_on((0.6, 0.9), (1800, 1200)).crop, Crop { x: 480.0, y: 0.0, w: 1200.0, h: 1200.0 });
        // Nothing to move when the plan keeps the whole image.
        let inside = plan((1800, 1200), t(Some(300), Some(300), Fit::Inside), false);
        assert_eq!(inside.centred_on((0.0, 1.0), (1800, 1200)).crop, inside.crop);
    }

    #[test]
    fn shrink_keeps_twice_the_output_size() {
        let inside = |w, h| Target { width: Some(w), height: Some(h), fit: Fit::Inside };
        // 6000 → 256: 6000 / 8 = 750 ≥ 512.
        assert_eq!(max_shrink(&plan((6000, 4000), inside(256, 256), false), 2.0), 8);
        // 6000 → 1600: only 1/1 leaves 3200 ≥ 2 × 1600? 6000 / 2 = 3000 < 3200.
        assert_eq!(max_shrink(&plan((6000, 4000), inside(1600, 1600), false), 2.0), 1);
        // 6000 → 1000: 6000 / 2 = 3000 ≥ 2000, 6000 / 4 = 1500 < 2000.
        assert_eq!(max_shrink(&plan((6000, 4000), inside(1000, 1000), false), 2.0), 2);
        // A centre crop reads only part of the image: 4000 / 4 = 1000 ≥ 2 × 400.
        let cover = Target { width: Some(400), height: Some(400), fit: Fit::Cover };
        assert_eq!(max_shrink(&plan((6000, 4000), cover, false), 2.0), 4);
        // Never below the output itself.
        assert_eq!(max_shrink(&plan((300, 200), inside(256, 256), false), 2.0), 1);
    }

    #[test]
    fn fast_shrink_keeps_the_output_size_only() {
        let inside = |w, h| Target { width: Some(w), height: Some(h), fit: Fit::Inside };
        // 6000 → 1600: 6000 / 2 = 3000 ≥ 1600, 6000 / 4 = 1500 < 1600.
        assert_eq!(max_shrink(&plan((6000, 4000), inside(1600, 1600), false), 1.0), 2);
        // 860 → 256: 860 / 2 = 430 ≥ 256 (the safe rule decodes it whole).
        assert_eq!(max_shrink(&plan((860, 538), inside(256, 256), false), 1.0), 2);
        assert_eq!(max_shrink(&plan((860, 538), inside(256, 256), false), 2.0), 1);
        assert_eq!(max_shrink(&plan((6000, 4000), inside(750, 750), false), 1.0), 8);
    }
}
