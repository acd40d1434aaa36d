//! Pixels → bytes in the output format: one [`Encoder`] per format, each in
//! its own file, met with its format in [`encoder`] only. The ICC profile
//! goes where the format can hold one, and `--keep-metadata`'s blocks into
//! the row's metadata container (`format::Container`). No other metadata is
//! written (orientation is already applied to the pixels, so no orientation
//! tag may survive).

mod avif;
mod jpeg;
#[cfg(feature = "jpeg-turbo")]
mod mozjpeg;
mod png;
mod webp;

use image::DynamicImage;

use super::metadata::{self, Blocks};
use crate::error::{EncodeError, FileError};
use crate::format::Container;
use crate::job::{EncodeOptions, OutFormat};

/// One output format's encoder.
pub trait Encoder: Sync {
    /// Encodes `img` (8-bit grey or RGB, or with alpha where the format's
    /// row has alpha) with the ICC profile `icc`, if it writes profiles
    /// itself, and `blocks`, if its container is written by the encoder.
    fn encode(
        &self,
        img: &DynamicImage,
        opts: &EncodeOptions,
        icc: Option<&[u8]>,
        blocks: &Blocks,
    ) -> Result<Vec<u8>, EncodeError>;

    /// Whether [`Encoder::encode`] writes the ICC profile; if not, the
    /// metadata writer adds it to the encoded file.
    fn writes_icc(&self) -> bool {
        true
    }
}

/// The encoder of an output format; `--format` already refused those this
/// build cannot write (the row's `writes`).
pub fn encoder(format: OutFormat) -> &'static dyn Encoder {
    match format {
        OutFormat::Jpeg => &jpeg::Jpeg,
        OutFormat::Png => &png::Png,
        OutFormat::Webp => &webp::Webp,
        OutFormat::Avif => &avif::Avif,
    }
}

/// An encoder of `format` that writes fewer bytes for a score than
/// [`encoder`]'s, where there is one (mozjpeg's trellis for JPEG, in builds
/// with libjpeg-turbo).
pub fn smaller_encoder(format: OutFormat) -> Option<&'static dyn Encoder> {
    match format {
        #[cfg(feature = "jpeg-turbo")]
        OutFormat::Jpeg => Some(&mozjpeg::Mozjpeg),
        _ => None,
    }
}

/// Encodes `img` as `format`, with the ICC profile `icc` (for a format
/// whose row carries one) and the metadata `blocks` (`--keep-metadata`).
pub fn encode(
    img: &DynamicImage,
    format: OutFormat,
    opts: EncodeOptions,
    icc: Option<&[u8]>,
    blocks: &Blocks,
) -> Result<Vec<u8>, FileError> {
    encode_by(encoder(format), img, format, opts, icc, blocks)
}

/// [`encode`] by a chosen encoder of `format`.
pub fn encode_by(
    codec: &dyn Encoder,
    img: &DynamicImage,
    format: OutFormat,
    opts: EncodeOptions,
    icc: Option<&[u8]>,
    blocks: &Blocks,
) -> Result<Vec<u8>, FileError> {
    let row = format.row();
    let fail = |source: EncodeError| FileError::Encode { format: row.name, source };
    let icc = icc.filter(|_| row.icc);
    let bytes = codec.encode(img, &opts, icc, blocks).map_err(fail)?;
    let added_icc = icc.filter(|_| !codec.writes_icc());
    if row.metadata == Container::HeifItems || (added_icc.is_none() && *blocks == Blocks::default()) {
        return Ok(bytes);
    }
    metadata::embed(bytes, row.metadata, blocks, added_icc).map_err(|e| fail(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn gradient() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(64, 48, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 128])))
    }

    #[test]
    fn every_format_round_trips_to_the_same_size() {
        for f in [OutFormat::Jpeg, OutFormat::Png, OutFormat::Webp] {
            let bytes = encode(&gradient(), f, EncodeOptions::new(80), None, &Blocks::default()).unwrap();
            let back = image::load_from_memory(&bytes).unwrap();
            assert_eq!((back.width(), back.height()), (64, 48), "{f:?}");
        }
    }

    #[test]
    fn quality_changes_jpeg_size() {
        let lo = encode(&gradient(), OutFormat::Jpeg, EncodeOptions::new(20), None, &Blocks::default()).unwrap();
        let hi = encode(&gradient(), OutFormat::Jpeg, EncodeOptions::new(95), None, &Blocks::default()).unwrap();
        assert!(lo.len() < hi.len());
    }

    #[test]
    fn icc_profile_is_embedded_in_every_format() {
        let icc = vec![7u8; 301];
        let mut rgba = gradient().to_rgba8();
        rgba.pixels_mut().enumerate().for_each(|(i, p)| p[3] = (i % 200) as u8);
        let rgba = DynamicImage::ImageRgba8(rgba);
        for (f, img) in [
            (OutFormat::Jpeg, gradient()),
            (OutFormat::Png, gradient()),
            (OutFormat::Webp, gradient()),
            (OutFormat::Webp, rgba),
        ] {
            let bytes = encode(&img, f, EncodeOptions::new(80), Some(&icc), &Blocks::default()).unwrap();
            let mut dec = image::ImageReader::new(std::io::Cursor::new(&bytes))
                .with_guessed_format()
                .unwrap()
                .into_decoder()
                .unwrap();
            use image::ImageDecoder;
            assert_eq!(dec.icc_profile().unwrap(), Some(icc.clone()), "{f:?}");
            let back = image::load_from_memory(&bytes).unwrap();
            assert_eq!(
                (back.width(), back.height(), back.color().has_alpha()),
                (64, 48, img.color().has_alpha()),
                "{f:?}"
            );
        }
    }

    #[test]
    fn every_output_format_of_the_table_is_written_and_reads_back_as_itself() {
        for row in crate::format::OUTPUTS.iter().filter(|r| r.writes) {
            let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(16, 16, |x, y| {
                image::Rgb([x as u8 * 16, y as u8 * 16, 128])
            }));
            let bytes = encode(&img, row.format, EncodeOptions::new(80), None, &Blocks::default()).unwrap();
            let sniffed = crate::format::sniff(&bytes, Some(row.extension)).unwrap();
            assert_eq!(sniffed.name(), row.name, "{} output sniffs as {}", row.name, sniffed.name());
        }
    }
}
