//! TIFF: `image`'s decoder, and the palette (indexed-colour) images it
//! refuses ("Photometric interpretation RGBPalette"), which GIS and scanner
//! software write: their indices are read by the `tiff` crate as grey and
//! looked up in the file's ColorMap here.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat, RgbImage};
use tiff::decoder::{Decoder as TiffDecoder, DecodingResult};
use tiff::tags::Tag;

use super::{DecodeOptions, Decoded, Decoder, Header, InFormat, Request, check_pixels, image_rs};
use crate::error::FileError;

/// PhotometricInterpretation values (TIFF 6.0, section 3).
const BLACK_IS_ZERO: u16 = 1;
const PALETTE: u16 = 3;

/// TIFF and BigTIFF.
pub(crate) struct Tiff;

impl Decoder for Tiff {
    fn header(&self, bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError> {
        if !is_palette(bytes) {
            return image_rs::header(bytes, ImageFormat::Tiff, InFormat::Tiff, opts);
        }
        let mut d = TiffDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
        let size = d.dimensions().map_err(corrupt)?;
        check_pixels(size, opts)?;
        Ok(Header { size, orientation: orientation(&mut d) })
    }

    fn decode(&self, bytes: &[u8], req: &mut Request<'_>) -> Result<Decoded, FileError> {
        if is_palette(bytes) {
            return decode_palette(bytes, req);
        }
        image_rs::decode(bytes, ImageFormat::Tiff, InFormat::Tiff, req, None)
    }

    fn header_at_start(&self) -> bool {
        // Its first IFD may be anywhere in the file.
        false
    }
}

/// The Orientation tag, as EXIF numbers it; damaged or absent is upright.
fn orientation<R: std::io::Read + std::io::Seek>(d: &mut TiffDecoder<R>) -> Orientation {
    let tag = d.find_tag_unsigned::<u8>(Tag::Orientation).ok().flatten();
    tag.and_then(Orientation::from_exif).unwrap_or(Orientation::NoTransforms)
}

fn corrupt(e: tiff::TiffError) -> FileError {
    FileError::Corrupt { format: "TIFF", detail: super::classify::tidy(&e.to_string()) }
}

/// Whether the first image is palette-coloured.
fn is_palette(bytes: &[u8]) -> bool {
    TiffDecoder::new(Cursor::new(bytes))
        .ok()
        .and_then(|mut d| d.find_tag_unsigned::<u16>(Tag::PhotometricInterpretation).ok().flatten())
        == Some(PALETTE)
}

/// A copy of a classic TIFF whose first image says `photometric`; `None`
/// for BigTIFF or an IFD that is not all there.
fn with_photometric(bytes: &[u8], photometric: u16) -> Option<Vec<u8>> {
    let little = match bytes.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    };
    let b: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
    let ifd = if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) } as usize;
    let entries = u16_at(ifd)? as usize;
    let entry =
        (0..entries).map(|k| ifd + 2 + 12 * k).find(|&e| u16_at(e) == Some(Tag::PhotometricInterpretation.to_u16()))?;
    let mut out = bytes.to_vec();
    // A SHORT's value sits left-justified in the entry's value field.
    let value = if little { photometric.to_le_bytes() } else { photometric.to_be_bytes() };
    out.get_mut(entry + 8..entry + 10)?.copy_from_slice(&value);
    Some(out)
}

/// Indices read as grey, looked up in the ColorMap (16-bit red, then green,
/// then blue entries).
fn decode_palette(bytes: &[u8], req: &mut Request<'_>) -> Result<Decoded, FileError> {
    let unsupported = |why: &str| FileError::Unsupported(format!("palette TIFF: {why}"));
    let as_grey = with_photometric(bytes, BLACK_IS_ZERO).ok_or_else(|| unsupported("BigTIFF or a damaged IFD"))?;
    let mut d = TiffDecoder::new(Cursor::new(&as_grey[..])).map_err(corrupt)?;
    let (width, height) = d.dimensions().map_err(corrupt)?;
    check_pixels((width, height), req.opts)?;
    let orientation = orientation(&mut d);
    let bits = match d.colortype().map_err(corrupt)? {
        tiff::ColorType::Gray(bits @ (1 | 2 | 4 | 8)) => bits as usize,
        other => return Err(unsupported(&format!("{other:?} samples"))),
    };
    let map = d.get_tag_u16_vec(Tag::ColorMap).map_err(corrupt)?;
    let colours = 1usize << bits;
    if map.len() < 3 * colours {
        return Err(FileError::Corrupt {
            format: "TIFF",
            detail: format!("ColorMap of {} entries for {bits}-bit indices", map.len()),
        });
    }
    let pixels = width as u64 * height as u64;
    (req.admit)(pixels * 3 + pixels.div_ceil(8 / bits as u64))?;
    let DecodingResult::U8(indices) = d.read_image().map_err(corrupt)? else {
        return Err(unsupported("indices wider than 8 bits"));
    };
    let row_bytes = (width as usize * bits).div_ceil(8);
    let mask = (colours - 1) as u8;
    let rgb = RgbImage::from_fn(width, height, |x, y| {
        let bit = x as usize * bits;
        let byte = indices.get(y as usize * row_bytes + bit / 8).copied().unwrap_or(0);
        let index = ((byte >> (8 - bits - bit % 8)) & mask) as usize;
        let channel = |c: usize| (map[c * colours + index] >> 8) as u8;
        image::Rgb([channel(0), channel(1), channel(2)])
    });
    let image = DynamicImage::ImageRgb8(rgb);
    Ok(Decoded { image, source_size: (width, height), orientation, icc: None, format: InFormat::Tiff, warning: None })
}
