//! Lossy WebP by libwebp (the `webp` crate). Its simple encoder has no
//! option for an ICC profile: the metadata writer adds it.

use image::DynamicImage;

use super::Encoder;
use crate::error::EncodeError;
use crate::job::EncodeOptions;
use crate::process::metadata::Blocks;

/// WebP's encoder.
pub(super) struct Webp;

impl Encoder for Webp {
    fn encode(
        &self,
        img: &DynamicImage,
        opts: &EncodeOptions,
        _: Option<&[u8]>,
        _: &Blocks,
    ) -> Result<Vec<u8>, EncodeError> {
        let quality = opts.quality;
        let (w, h) = (img.width(), img.height());
        if w > 16383 || h > 16383 {
            return Err(EncodeError::TooLarge { format: "WebP", width: w, height: h, max: 16383 });
        }
        let mem = if img.color().has_alpha() {
            let rgba = img.to_rgba8();
            webp::Encoder::from_rgba(rgba.as_raw(), w, h).encode(quality as f32)
        } else {
            let rgb = img.to_rgb8();
            webp::Encoder::from_rgb(rgb.as_raw(), w, h).encode(quality as f32)
        };
        Ok(mem.to_vec())
    }

    fn writes_icc(&self) -> bool {
        false
    }
}
