//! Pixels → bytes in the output format, carrying the ICC profile where the
//! format can hold one. No other metadata is written (orientation is already
//! applied to the pixels, so no orientation tag may survive).

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder};

use super::avif;
use super::metadata::{self, Blocks};
use crate::error::{EncodeError, FileError};
use crate::job::{EncodeOptions, OutFormat, Subsampling};

/// Encodes `img` (8-bit L, Rgb, or with alpha for PNG/WebP/AVIF), with the
/// ICC profile `icc` (not in AVIF: see [`avif`]) and the metadata
/// `blocks` (`--keep-metadata`).
pub fn encode(
    img: &DynamicImage,
    format: OutFormat,
    opts: EncodeOptions,
    icc: Option<&[u8]>,
    blocks: &Blocks,
) -> Result<Vec<u8>, FileError> {
    let fail = |source: EncodeError| FileError::Encode { format: format.name(), source };
    let bytes = match format {
        OutFormat::Jpeg => encode_jpeg(img, opts, icc),
        OutFormat::Png => encode_png(img, icc),
        OutFormat::Webp => encode_webp(img, opts.quality),
        OutFormat::Avif => avif::encode(img, &opts, blocks.exif.as_deref()),
    }
    .map_err(fail)?;
    let webp_icc = icc.filter(|_| format == OutFormat::Webp);
    if webp_icc.is_none() && (*blocks == Blocks::default() || format == OutFormat::Avif) {
        return Ok(bytes);
    }
    metadata::embed(bytes, format, blocks, webp_icc).map_err(|e| fail(e.into()))
}

fn encode_jpeg(img: &DynamicImage, opts: EncodeOptions, icc: Option<&[u8]>) -> Result<Vec<u8>, EncodeError> {
    use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
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
    let mut enc = Encoder::new(&mut out, opts.quality);
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

fn encode_png(img: &DynamicImage, icc: Option<&[u8]>) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    let mut enc = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    if let Some(icc) = icc {
        // A profile the encoder will not take is not worth failing the file.
        let _ = enc.set_icc_profile(icc.to_vec());
    }
    enc.write_image(img.as_bytes(), img.width(), img.height(), img.color().into()).map_err(EncodeError::codec)?;
    Ok(out)
}

fn encode_webp(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, EncodeError> {
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
