//! AVIF output, 8-bit YCbCr with the chroma layout of `--subsampling`
//! (4:2:0 unless told, as the AVIF viewers and libavif expect; sharp writes
//! 4:4:4), tagged sRGB by the nclx colour box and no ICC profile, so the
//! pixels must already be sRGB. Two encoders, each its own cargo feature:
//! `avif-rav1e` (default; rav1e, pure Rust) and `avif-libaom` (libheif's
//! libaom, the one sharp and libvips use, which makes smaller files at the
//! same SSIM, benches/README.md T3). With both, libaom encodes what it can
//! and rav1e the sizes it refuses; with neither, `--format avif` is refused
//! before the run. The encoder runs on the worker's own thread: the pool is
//! the parallelism.

#[cfg(feature = "avif-libaom")]
mod by_libaom;
#[cfg(feature = "avif-rav1e")]
mod by_rav1e;

use image::DynamicImage;

use super::Encoder;
use crate::error::EncodeError;
use crate::job::EncodeOptions;
use crate::process::metadata::Blocks;

/// AVIF's encoder: libaom, rav1e or both, as the build has them.
pub(super) struct Avif;

impl Encoder for Avif {
    /// No ICC profile: the pixels are sRGB, as the nclx box says (the row's `icc`).
    fn encode(
        &self,
        img: &DynamicImage,
        opts: &EncodeOptions,
        _: Option<&[u8]>,
        blocks: &Blocks,
    ) -> Result<Vec<u8>, EncodeError> {
        encode(img, opts, blocks.exif.as_deref())
    }
}

/// Encodes `img` (8-bit grey, RGB or RGBA) at `opts.quality` 1–100 and
/// `opts.effort` 0–10 (more is slower and smaller, as sharp's), in the
/// chroma layout `opts.subsampling`, with `exif`.
fn encode(img: &DynamicImage, opts: &EncodeOptions, exif: Option<&[u8]>) -> Result<Vec<u8>, EncodeError> {
    #[cfg(feature = "avif-libaom")]
    if by_libaom::encodes(img.width(), img.height()) {
        return by_libaom::encode(img, opts, exif);
    }
    otherwise(img, opts, exif)
}

/// What libaom does not encode (or everything, without it).
#[cfg(feature = "avif-rav1e")]
fn otherwise(img: &DynamicImage, opts: &EncodeOptions, exif: Option<&[u8]>) -> Result<Vec<u8>, EncodeError> {
    by_rav1e::encode(img, opts, exif)
}

/// Without rav1e, what libaom does not encode fails.
#[cfg(not(feature = "avif-rav1e"))]
fn otherwise(img: &DynamicImage, _: &EncodeOptions, _: Option<&[u8]>) -> Result<Vec<u8>, EncodeError> {
    Err(EncodeError::NoEncoder { width: img.width(), height: img.height() })
}
