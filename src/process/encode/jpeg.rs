//! JPEG by jpeg-encoder (pure Rust, SIMD), with libjpeg's averaged chroma.

use image::DynamicImage;

use super::Encoder;
use crate::error::EncodeError;
use crate::job::{EncodeOptions, Subsampling};
use crate::process::metadata::Blocks;

/// JPEG's encoder.
pub(super) struct Jpeg;

impl Encoder for Jpeg {
    fn encode(
        &self,
        img: &DynamicImage,
        opts: &EncodeOptions,
        icc: Option<&[u8]>,
        _: &Blocks,
    ) -> Result<Vec<u8>, EncodeError> {
        use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, SamplingFactor};
        let (w, h) = (img.width(), img.height());
        let (w16, h16) = match (u16::try_from(w), u16::try_from(h)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Err(EncodeError::TooLarge { format: "JPEG", width: w, height: h, max: 65535 }),
        };
        let (data, color) = match img {
            DynamicImage::ImageLuma8(i) => (i.as_raw(), ColorType::Luma),
            DynamicImage::ImageRgb8(i) => (i.as_raw(), ColorType::Rgb),
            other => return Err(EncodeError::PixelLayout(other.color())),
        };
        let mut out = Vec::with_capacity(data.len() / 8);
        let mut enc = jpeg_encoder::Encoder::new(&mut out, opts.quality);
        // Averaged chroma, like libjpeg; point sampling (the crate's default)
        // visibly loses colour detail.
        enc.set_sampling_factor(match opts.subsampling {
            Subsampling::S420 => SamplingFactor::F_2_2,
            Subsampling::S422 => SamplingFactor::F_2_1,
            Subsampling::S444 => SamplingFactor::F_1_1,
        });
        enc.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
        // Progressive scans need optimised Huffman tables in jpeg-encoder.
        enc.set_progressive(opts.progressive);
        if let Some(icc) = icc {
            enc.add_icc_profile(icc).map_err(EncodeError::codec)?;
        }
        enc.encode(data, w16, h16, color).map_err(EncodeError::codec)?;
        Ok(out)
    }
}
