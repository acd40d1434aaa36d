//! PNG by the `image` crate's encoder, at its fast compression with
//! adaptive filters.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder};

use super::Encoder;
use crate::error::EncodeError;
use crate::job::EncodeOptions;
use crate::process::metadata::Blocks;

/// PNG's encoder.
pub(super) struct Png;

impl Encoder for Png {
    fn encode(
        &self,
        img: &DynamicImage,
        _: &EncodeOptions,
        icc: Option<&[u8]>,
        _: &Blocks,
    ) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        let mut enc = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
        if let Some(icc) = icc {
            // A profile the encoder will not take is not worth failing the file.
            let _ = enc.set_icc_profile(icc.to_vec());
        }
        enc.write_image(img.as_bytes(), img.width(), img.height(), img.color().into()).map_err(EncodeError::codec)?;
        Ok(out)
    }
}
