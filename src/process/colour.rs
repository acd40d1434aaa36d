//! Colour: outputs in sRGB by default (`--colour srgb`). An input tagged
//! with another profile (Adobe RGB, ProPhoto, Display P3, a camera's) is
//! converted with moxcms, a pure-Rust CMS, after the resize (on the small
//! image), and written without a profile: what browsers, mail clients and
//! viewers that ignore profiles all show the same. `--colour keep` leaves
//! the pixels alone and copies the profile, as before.

pub use crate::job::ColourMode;
use std::sync::Arc;

use crate::error::FileError;

use image::DynamicImage;
use moxcms::{
    ColorProfile, DataColorSpace, Layout, RenderingIntent, Transform8BitExecutor, Transform16BitExecutor,
    TransformOptions,
};

/// A conversion to sRGB, at the depth of the pixels it is given.
enum Transform {
    Eight(Arc<Transform8BitExecutor>),
    /// For 16-bit inputs, converted before they are cut to 8 bits: a wide
    /// gamut squeezed at 8 bits bands in smooth skies.
    Sixteen(Arc<Transform16BitExecutor>),
}

/// What the outputs of one input get: pixels converted by `transform` (if
/// any), and the profile to embed (if any).
pub struct Colour {
    transform: Option<Transform>,
    /// The profile written into every output.
    pub embed: Option<Vec<u8>>,
    /// Something the user should know (a profile that could not be used).
    pub warning: Option<String>,
}

impl Colour {
    /// Decides for an input decoded as `has_alpha`/grey, tagged with `icc`,
    /// whose pixels are 16-bit (`sixteen`) or 8-bit.
    pub fn for_input(mode: ColourMode, icc: Option<Vec<u8>>, grey: bool, has_alpha: bool, sixteen: bool) -> Colour {
        let none = Colour { transform: None, embed: None, warning: None };
        let Some(icc) = icc else { return none };
        if mode == ColourMode::Keep {
            return Colour { embed: Some(icc), ..none };
        }
        let profile = match ColorProfile::new_from_slice(&icc) {
            Ok(p) => p,
            Err(e) => return Colour { warning: Some(format!("ICC profile unreadable ({e}), taken as sRGB")), ..none },
        };
        // A grey profile's tone curve is near sRGB's; its pixels stay as they are.
        if grey || profile.color_space != DataColorSpace::Rgb {
            return none;
        }
        let layout = if has_alpha { Layout::Rgba } else { Layout::Rgb };
        let options = TransformOptions { rendering_intent: RenderingIntent::Perceptual, ..TransformOptions::default() };
        let srgb = ColorProfile::new_srgb();
        let unusable = |e: moxcms::CmsError| Colour {
            transform: None,
            embed: None,
            warning: Some(format!("ICC profile not usable ({e}), taken as sRGB")),
        };
        let t = match profile.create_transform_8bit(layout, &srgb, layout, options) {
            Ok(t) if is_identity(&*t, has_alpha) => return none,
            Ok(t) => t,
            Err(e) => return unusable(e),
        };
        if !sixteen {
            return Colour { transform: Some(Transform::Eight(t)), embed: None, warning: None };
        }
        match profile.create_transform_16bit(layout, &srgb, layout, options) {
            Ok(t) => Colour { transform: Some(Transform::Sixteen(t)), embed: None, warning: None },
            Err(e) => unusable(e),
        }
    }

    /// Whether the pixels are converted (and no profile is left to write).
    pub fn converts(&self) -> bool {
        self.transform.is_some()
    }

    /// Converts `img` (RGB or RGBA of the depth this was made for, not
    /// premultiplied) to sRGB, a band of rows at a time so that a full-size
    /// 16-bit image is not copied whole.
    pub fn apply(&self, img: &mut DynamicImage) -> Result<(), FileError> {
        let fail = |e: moxcms::CmsError| FileError::Internal { stage: "converting to sRGB", source: e.into() };
        let row = img.width() as usize * img.color().channel_count() as usize;
        let band = row * 64;
        match (&self.transform, img) {
            (Some(Transform::Eight(t)), DynamicImage::ImageRgb8(i)) => {
                in_bands(i, band, |a, b| t.transform(a, b)).map_err(fail)
            }
            (Some(Transform::Eight(t)), DynamicImage::ImageRgba8(i)) => {
                in_bands(i, band, |a, b| t.transform(a, b)).map_err(fail)
            }
            (Some(Transform::Sixteen(t)), DynamicImage::ImageRgb16(i)) => {
                in_bands(i, band, |a, b| t.transform(a, b)).map_err(fail)
            }
            (Some(Transform::Sixteen(t)), DynamicImage::ImageRgba16(i)) => {
                in_bands(i, band, |a, b| t.transform(a, b)).map_err(fail)
            }
            _ => Ok(()),
        }
    }
}

/// Runs an out-of-place conversion in place over `pixels`, `band` samples at a time.
fn in_bands<T: Copy>(
    pixels: &mut [T],
    band: usize,
    mut f: impl FnMut(&[T], &mut [T]) -> Result<(), moxcms::CmsError>,
) -> Result<(), moxcms::CmsError> {
    let mut src = Vec::with_capacity(band.min(pixels.len()));
    for chunk in pixels.chunks_mut(band.max(1)) {
        src.clear();
        src.extend_from_slice(chunk);
        f(&src, chunk)?;
    }
    Ok(())
}

/// Converts CMYK pixels (ink amounts, 0 = none, 4 bytes each) to sRGB
/// with the image's CMYK profile (perceptual intent, as for RGB). A CMYK
/// image is converted whatever `--colour` says: its outputs are RGB, and
/// a CMYK profile cannot describe them.
pub(crate) fn cmyk_to_srgb(profile: &ColorProfile, ink: &[u8]) -> Result<Vec<u8>, CmykError> {
    let options = TransformOptions { rendering_intent: RenderingIntent::Perceptual, ..TransformOptions::default() };
    // moxcms takes CMYK in the RGBA layout.
    let t = profile
        .create_transform_8bit(Layout::Rgba, &ColorProfile::new_srgb(), Layout::Rgb, options)
        .map_err(CmykError::Profile)?;
    let mut rgb = vec![0u8; ink.len() / 4 * 3];
    t.transform(ink, &mut rgb).map_err(CmykError::Convert)?;
    Ok(rgb)
}

/// Why a CMYK image's own profile could not convert it (the caller falls
/// back to the plain formula, with this as the warning).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CmykError {
    /// moxcms would not build a transform from the profile.
    #[error("CMYK profile not usable ({0})")]
    Profile(moxcms::CmsError),
    /// The transform failed on the pixels.
    #[error("CMYK conversion failed: {0}")]
    Convert(moxcms::CmsError),
}

/// `icc` parsed, if it is a CMYK profile (asked before decoding, to know
/// whether the samples are wanted as stored).
pub(crate) fn cmyk_profile(icc: &[u8]) -> Option<ColorProfile> {
    ColorProfile::new_from_slice(icc).ok().filter(|p| p.color_space == DataColorSpace::Cmyk)
}

/// The Adobe RGB profile for an image whose EXIF says so without embedding
/// one: ColorSpace = Uncalibrated (0xFFFF) and the interoperability index
/// `R03`, as cameras set in their Adobe RGB mode (DCF 2.0). `exif` is the
/// APP1 payload, with or without its `Exif\0\0` header.
pub(crate) fn profile_from_exif(exif: &[u8]) -> Option<Vec<u8>> {
    use exif::{In, Tag, Value};
    let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
    let parsed = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
    let uncalibrated = parsed.get_field(Tag::ColorSpace, In::PRIMARY).and_then(|f| f.value.get_uint(0)) == Some(0xFFFF);
    let r03 = parsed
        .get_field(Tag::InteroperabilityIndex, In::PRIMARY)
        .is_some_and(|f| matches!(&f.value, Value::Ascii(v) if v.first().is_some_and(|s| s.starts_with(b"R03"))));
    (uncalibrated && r03).then(|| ColorProfile::new_adobe_rgb().encode().ok()).flatten()
}

/// Whether a transform leaves colours as they are (an sRGB profile under
/// another name, as cameras and phones embed): then nothing is done.
fn is_identity(t: &Transform8BitExecutor, alpha: bool) -> bool {
    let channels = if alpha { 4 } else { 3 };
    let mut src = Vec::new();
    for v in (0..=255u16).step_by(15) {
        for c in [[v, 0, 0], [0, v, 0], [0, 0, v], [v, v, v], [v, 255 - v, 128]] {
            src.extend(c.iter().map(|&x| x as u8));
            if alpha {
                src.push(255);
            }
        }
    }
    let mut dst = vec![0u8; src.len()];
    t.transform(&src, &mut dst).is_ok()
        && src
            .chunks(channels)
            .zip(dst.chunks(channels))
            .all(|(a, b)| a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn icc(p: ColorProfile) -> Vec<u8> {
        p.encode().unwrap()
    }

    fn rgb(c: [u8; 3]) -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_pixel(4, 4, image::Rgb(c)))
    }

    #[test]
    fn adobe_rgb_green_is_pulled_into_srgb_and_srgb_is_left_alone() {
        let adobe = Colour::for_input(ColourMode::Srgb, Some(icc(ColorProfile::new_adobe_rgb())), false, false, false);
        assert!(adobe.embed.is_none() && adobe.warning.is_none());
        let mut img = rgb([0, 255, 0]);
        adobe.apply(&mut img).unwrap();
        // Adobe RGB's green is outside sRGB: clipped to full green, red and
        // blue at 0; a mid green gets more saturated, not the same value.
        let mut mid = rgb([64, 160, 64]);
        adobe.apply(&mut mid).unwrap();
        let p = mid.to_rgb8().get_pixel(0, 0).0;
        assert!(p[1] > 160 && p[0] < 64, "{p:?}");
        let srgb = Colour::for_input(ColourMode::Srgb, Some(icc(ColorProfile::new_srgb())), false, false, false);
        assert!(srgb.transform.is_none() && srgb.embed.is_none());
    }

    #[test]
    fn keep_copies_the_profile_and_leaves_pixels() {
        let p = icc(ColorProfile::new_pro_photo_rgb());
        let keep = Colour::for_input(ColourMode::Keep, Some(p.clone()), false, false, false);
        assert_eq!(keep.embed, Some(p));
        let mut img = rgb([10, 200, 30]);
        keep.apply(&mut img).unwrap();
        assert_eq!(img.to_rgb8().get_pixel(0, 0).0, [10, 200, 30]);
    }

    /// An EXIF block with ColorSpace and InteroperabilityIndex, as a camera writes it.
    fn exif_block(colour_space: u16, index: &[u8; 3]) -> Vec<u8> {
        use exif::{Field, In, Tag, Value};
        let cs = Field { tag: Tag::ColorSpace, ifd_num: In::PRIMARY, value: Value::Short(vec![colour_space]) };
        let ix =
            Field { tag: Tag::InteroperabilityIndex, ifd_num: In::PRIMARY, value: Value::Ascii(vec![index.to_vec()]) };
        let mut w = exif::experimental::Writer::new();
        w.push_field(&cs);
        w.push_field(&ix);
        let mut tiff = std::io::Cursor::new(Vec::new());
        w.write(&mut tiff, true).unwrap();
        [&b"Exif\0\0"[..], tiff.get_ref()].concat()
    }

    #[test]
    fn exif_saying_adobe_rgb_without_a_profile_gets_one() {
        let adobe = profile_from_exif(&exif_block(0xFFFF, b"R03")).expect("Adobe RGB");
        assert_eq!(adobe, ColorProfile::new_adobe_rgb().encode().unwrap());
        assert_eq!(profile_from_exif(&exif_block(1, b"R98")), None, "sRGB");
        assert_eq!(profile_from_exif(&exif_block(0xFFFF, b"R98")), None, "uncalibrated, no R03");
        assert_eq!(profile_from_exif(b"Exif\0\0junk"), None);
    }

    #[test]
    fn a_broken_profile_is_a_warning_not_a_failure() {
        let c = Colour::for_input(ColourMode::Srgb, Some(vec![1, 2, 3]), false, false, false);
        assert!(c.warning.is_some_and(|w| w.contains("taken as sRGB")));
    }
}
