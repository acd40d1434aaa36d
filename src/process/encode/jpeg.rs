//! JPEG by jpeg-encoder (pure Rust, SIMD), with libjpeg's averaged chroma.

use image::DynamicImage;

use super::Encoder;
use crate::error::EncodeError;
use crate::job::{EncodeOptions, Subsampling};
use crate::process::metadata::Blocks;

/// A JPEG encoder's input: 8-bit grey or RGB rows within JPEG's 65535.
pub(super) struct Rows<'a> {
    pub(super) data: &'a [u8],
    pub(super) width: u16,
    pub(super) height: u16,
    pub(super) grey: bool,
}

/// The rows of `img` as every JPEG encoder takes them.
pub(super) fn rows(img: &DynamicImage) -> Result<Rows<'_>, EncodeError> {
    let (w, h) = (img.width(), img.height());
    let (Ok(width), Ok(height)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(EncodeError::TooLarge { format: "JPEG", width: w, height: h, max: 65535 });
    };
    match img {
        DynamicImage::ImageLuma8(i) => Ok(Rows { data: i.as_raw(), width, height, grey: true }),
        DynamicImage::ImageRgb8(i) => Ok(Rows { data: i.as_raw(), width, height, grey: false }),
        other => Err(EncodeError::PixelLayout(other.color())),
    }
}

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
        let Rows { data, width: w16, height: h16, grey } = rows(img)?;
        let color = if grey { ColorType::Luma } else { ColorType::Rgb };
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
