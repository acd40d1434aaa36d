//! Where a `cover` crop goes: one focal point per image, found once on a
//! small copy of the decoded (possibly shrunk-on-load) image and used for
//! every output, so the 128, 256 and 1024 crops of a photo show the same
//! thing. `attention` and `entropy` follow libvips' `smartcrop`, written
//! afresh (see their files).

mod attention;
mod entropy;

use image::metadata::Orientation;
use image::{DynamicImage, GenericImageView};

use super::resize::Resampler;
use crate::error::FileError;
use crate::job::Position;

/// Long side of the copy the analysis reads: a subject a tenth of the
/// image wide still spans a dozen of its pixels, and the analysis costs
/// next to nothing beside the decode.
const SIDE: u32 = 128;

/// The analysis copy, oriented as displayed: CIE L*a*b* (D50) and alpha
/// per pixel, row by row.
pub(crate) struct Sample {
    width: usize,
    height: usize,
    lab: Vec<[f32; 3]>,
    alpha: Vec<f32>,
}

impl Sample {
    /// The copy of `img` (8-bit, straight alpha, stored orientation) that the
    /// analysis reads, turned by `orientation`.
    fn of(img: &DynamicImage, orientation: Orientation, resampler: &mut Resampler) -> Result<Sample, FileError> {
        let (w, h) = img.dimensions();
        let k = (SIDE as f64 / w.max(h).max(1) as f64).min(1.0);
        let to = (((w as f64 * k).round() as u32).max(1), ((h as f64 * k).round() as u32).max(1));
        let mut small = if to == (w, h) { img.clone() } else { resampler.preview(img, to)? };
        small.apply_orientation(orientation);
        let rgba = small.to_rgba8();
        let to_lab = Lab::new();
        let (lab, alpha) = rgba.pixels().map(|p| (to_lab.of(p.0), p.0[3] as f32 / 255.0)).unzip();
        Ok(Sample { width: rgba.width() as usize, height: rgba.height() as usize, lab, alpha })
    }
}

/// sRGB to L*a*b* with moxcms' sRGB primaries and CIE formulas.
struct Lab {
    linear: [f32; 256],
    to_xyz: moxcms::Matrix3d,
}

impl Lab {
    fn new() -> Self {
        let srgb = moxcms::TransferCharacteristics::Srgb;
        let linear = std::array::from_fn(|v| srgb.linearize(v as f64 / 255.0) as f32);
        Lab { linear, to_xyz: moxcms::ColorProfile::new_srgb().rgb_to_xyz_matrix() }
    }

    fn of(&self, p: [u8; 4]) -> [f32; 3] {
        let rgb = [self.linear[p[0] as usize], self.linear[p[1] as usize], self.linear[p[2] as usize]];
        let row = |r: [f64; 3]| (r[0] as f32) * rgb[0] + (r[1] as f32) * rgb[1] + (r[2] as f32) * rgb[2];
        let m = &self.to_xyz.v;
        let lab = moxcms::Lab::from_xyz(moxcms::Xyz::new(row(m[0]), row(m[1]), row(m[2])));
        [lab.l, lab.a, lab.b]
    }
}

/// The focal point of `img` for `position`, as fractions of the oriented
/// image. `window` is the crop the outputs need, as fractions of the
/// oriented image (entropy trims down to it; attention blurs at its scale).
/// `img` is 8-bit with straight alpha, in stored orientation.
pub(crate) fn focal_point(
    img: &DynamicImage,
    orientation: Orientation,
    window: (f64, f64),
    position: Position,
    resampler: &mut Resampler,
) -> Result<(f64, f64), FileError> {
    Ok(match position {
        Position::Centre => (0.5, 0.5),
        Position::Focus { x, y } => (x, y),
        Position::Attention => attention::focus(&Sample::of(img, orientation, resampler)?, window),
        Position::Entropy => entropy::focus(&Sample::of(img, orientation, resampler)?, window),
    })
}

/// The window in whole pixels of a `len`-long side of the sample, at least one.
fn window_len(len: usize, fraction: f64) -> usize {
    ((len as f64 * fraction).round() as usize).clamp(1, len)
}
