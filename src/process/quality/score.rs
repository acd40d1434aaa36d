//! SSIMULACRA2 between an output's pixels as they go to the encoder and the
//! encoded file decoded again (fast-ssim2): the reference is prepared once
//! per output, each candidate quality compared against it in buffers kept
//! from one candidate to the next (a third of a compare's time went to
//! allocating and faulting them in afresh). Alpha is judged
//! as it will be seen: both images over the same mid grey.

use fast_ssim2::{CompareContext, Ssimulacra2Reference};
use std::borrow::Cow;

use image::{DynamicImage, GenericImageView};
use imgref::Img;

use crate::error::{FileError, PixelError};
use crate::job::{DEFAULT_MAX_PIXELS, DecodeOptions, RawMode};
use crate::process::decode;

/// What transparency is judged against.
const BEHIND: u8 = 128;

/// 8-bit RGB pixels of `img`, alpha composited over [`BEHIND`]; an RGB
/// image's own buffer, uncopied.
fn opaque(img: &DynamicImage) -> Cow<'_, [[u8; 3]]> {
    if let DynamicImage::ImageRgb8(rgb) = img {
        return Cow::Borrowed(rgb.as_raw().as_chunks::<3>().0);
    }
    let behind = BEHIND as u32;
    let mix = |c: u8, a: u32| ((c as u32 * a + behind * (255 - a) + 127) / 255) as u8;
    let rgba = img.to_rgba8();
    Cow::Owned(
        rgba.as_raw()
            .as_chunks::<4>()
            .0
            .iter()
            .map(|&[r, g, b, a]| [mix(r, a as u32), mix(g, a as u32), mix(b, a as u32)])
            .collect(),
    )
}

/// The prepared reference of one output.
pub struct Scorer {
    reference: Ssimulacra2Reference,
    context: CompareContext,
    size: (u32, u32),
}

/// Why a candidate could not be scored.
fn failed(what: impl std::fmt::Display) -> FileError {
    FileError::Internal { stage: "scoring", source: PixelError::Metric(what.to_string()) }
}

impl Scorer {
    /// Prepares `img` (the output's pixels before encoding); `None` for an
    /// image too small for the metric's scales (under 8 pixels a side).
    pub fn new(img: &DynamicImage) -> Result<Option<Scorer>, FileError> {
        let (w, h) = img.dimensions();
        if w < 8 || h < 8 {
            return Ok(None);
        }
        let px = opaque(img);
        let reference = Ssimulacra2Reference::new(Img::new(&px[..], w as usize, h as usize)).map_err(failed)?;
        let context = reference.compare_context();
        Ok(Some(Scorer { reference, context, size: (w, h) }))
    }

    /// The score of an encoded candidate, decoded by imgbatch's own decoders.
    pub fn score(&mut self, bytes: &[u8]) -> Result<f64, FileError> {
        let opts = DecodeOptions { max_pixels: DEFAULT_MAX_PIXELS, allow_truncated: false, raw: RawMode::Preview };
        let back = decode::decode(bytes, None, &opts, &mut |_| Ok(()), &|_, _| 1, &|_, _| true)?;
        if back.image.dimensions() != self.size {
            return Err(failed(format!("decoded {:?}, encoded {:?}", back.image.dimensions(), self.size)));
        }
        let px = opaque(&back.image);
        let px = Img::new(&px[..], self.size.0 as usize, self.size.1 as usize);
        self.reference.compare_with(&mut self.context, px).map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{EncodeOptions, OutFormat};
    use crate::process::encode;
    use crate::process::metadata::Blocks;

    fn photo() -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(96, 64, |x, y| {
            image::Rgb([(x * 2) as u8, (y * 3) as u8, ((x * y) % 251) as u8])
        }))
    }

    #[test]
    fn the_score_falls_with_the_quality_and_is_100_for_lossless() {
        let img = photo();
        let mut s = Scorer::new(&img).unwrap().expect("large enough");
        let mut at = |q: u8| {
            let bytes = encode::encode(&img, OutFormat::Jpeg, EncodeOptions::new(q), None, &Blocks::default()).unwrap();
            s.score(&bytes).unwrap()
        };
        let (lo, hi) = (at(20), at(95));
        assert!(lo < hi && hi < 100.0, "{lo} {hi}");
        let png = encode::encode(&img, OutFormat::Png, EncodeOptions::new(80), None, &Blocks::default()).unwrap();
        assert!((s.score(&png).unwrap() - 100.0).abs() < 1e-6);
    }

    #[test]
    fn images_under_eight_pixels_are_not_scored() {
        let tiny = DynamicImage::ImageRgb8(image::RgbImage::new(7, 30));
        assert!(Scorer::new(&tiny).unwrap().is_none());
    }
}
