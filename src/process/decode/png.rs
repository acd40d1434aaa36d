//! PNG specifics the `image` crate does not cover: an `iCCP` chunk that
//! inflates past [`MAX_ICC`](super::MAX_ICC) (a metadata bomb: 1 MB on disk,
//! 1 GiB inflated, inflated again by every decoder that opens the file) is
//! cut out before any decoder sees it, and the rows of a PNG cut off inside
//! its image data are kept under `--allow-truncated`.

use std::borrow::Cow;
use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat};

use super::{
    DecodeOptions, Decoded, Decoder, FILE_BUFFER, Header, InFormat, MAX_ICC, Request, check_pixels, image_rs,
    png_shrink, warn,
};
use crate::error::FileError;
use crate::read::Input;

/// PNG and APNG: `image`'s decoder, behind the bomb check, shrunk row by
/// row when the outputs allow (png_shrink.rs), and the rows of a cut-off
/// file kept when asked.
pub struct Png;

impl Decoder for Png {
    fn header(&self, bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError> {
        let (bytes, _) = without_metadata_bombs(bytes);
        image_rs::header(&bytes, ImageFormat::Png, InFormat::Png, opts)
    }

    fn decode(&self, bytes: &[u8], req: &mut Request<'_>) -> Result<Decoded, FileError> {
        let (bytes, dropped) = without_metadata_bombs(bytes);
        if let Some(mut decoded) = png_shrink::decode(&bytes, req.opts, req.admit, req.shrink)? {
            if let Some(w) = dropped {
                warn(&mut decoded.warning, w);
            }
            return Ok(decoded);
        }
        match image_rs::decode(&bytes, ImageFormat::Png, InFormat::Png, req, dropped) {
            // `image` drops the rows it had; read them again ourselves.
            Err(FileError::Truncated(_)) if req.opts.allow_truncated => decode_partial(&bytes, req.opts, req.admit),
            result => result,
        }
    }

    fn decode_file(&self, input: &Input, head: &[u8], req: &mut Request<'_>) -> Result<Option<Decoded>, FileError> {
        if !(png_shrink::may_shrink(head, req.shrink) && headers_within(head)) {
            return Ok(None);
        }
        let rows = std::io::BufReader::with_capacity(FILE_BUFFER, input.reader());
        png_shrink::decode_from(rows, &mut input.window(), req.opts, req.admit, req.shrink)
    }
}

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Byte range of the `iCCP` chunk (length, type, data and CRC) when its
/// profile inflates to more than `MAX_ICC` bytes. Only the chunks before the
/// image data are looked at; iCCP must come before them.
fn oversized_iccp(bytes: &[u8]) -> Option<std::ops::Range<usize>> {
    let mut at = SIGNATURE.len();
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let end = at.checked_add(12)?.checked_add(len)?;
        match &head[4..8] {
            b"IDAT" | b"IEND" => return None,
            b"iCCP" => {
                let data = bytes.get(at + 8..(at + 8 + len).min(bytes.len()))?;
                // Profile name, NUL, compression method, then the zlib stream.
                let name_end = data.iter().position(|&b| b == 0)?;
                let stream = data.get(name_end + 2..)?;
                return match fdeflate::decompress_to_vec_bounded(stream, MAX_ICC) {
                    Err(fdeflate::BoundedDecompressionError::OutputTooLarge { .. }) => Some(at..end.min(bytes.len())),
                    _ => None,
                };
            }
            _ => at = end,
        }
    }
    None
}

/// Whether every chunk before the image data is in `head` (a file's first
/// bytes) and none is a metadata bomb: then the file can be decoded as it
/// is read, without holding it.
pub(crate) fn headers_within(head: &[u8]) -> bool {
    let mut at = SIGNATURE.len();
    while let Some(chunk) = head.get(at..at + 8) {
        if &chunk[4..8] == b"IDAT" {
            return oversized_iccp(head).is_none();
        }
        let len = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) as usize;
        at = at.saturating_add(12).saturating_add(len);
    }
    false
}

/// The file without an oversized `iCCP` chunk, and the warning that says so;
/// the bytes unchanged (not copied) otherwise.
pub(crate) fn without_metadata_bombs(bytes: &[u8]) -> (Cow<'_, [u8]>, Option<String>) {
    match oversized_iccp(bytes) {
        None => (Cow::Borrowed(bytes), None),
        Some(chunk) => {
            let kept = [&bytes[..chunk.start], &bytes[chunk.end..]].concat();
            let warning = format!("ICC profile dropped: it inflates to more than {} MiB", MAX_ICC >> 20);
            (Cow::Owned(kept), Some(warning))
        }
    }
}

/// What a PNG cut off inside its rows says under `--allow-truncated`.
pub(crate) fn partial_warning(rows: usize, height: u32) -> String {
    format!("truncated PNG: {rows} of {height} rows decoded, the rest is filled in")
}

/// `--allow-truncated` for a PNG cut off inside its image data: keeps the
/// rows that decode and fills the rest with grey, as for JPEG. Interlaced
/// files spread every pass over the whole image, so they stay an error.
pub(crate) fn decode_partial(
    bytes: &[u8],
    opts: &DecodeOptions,
    admit: &mut super::super::Admit<'_>,
) -> Result<Decoded, FileError> {
    let corrupt = |e: png::DecodingError| FileError::Corrupt { format: "PNG", detail: e.to_string() };
    let mut d = png::Decoder::new(Cursor::new(bytes));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = d.read_info().map_err(corrupt)?;
    let info = reader.info();
    let size = (info.width, info.height);
    check_pixels(size, opts)?;
    if info.interlaced {
        return Err(FileError::Truncated("PNG"));
    }
    let icc = info.icc_profile.as_ref().map(|p| p.to_vec());
    let channels = match reader.output_color_type().0 {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb | png::ColorType::Indexed => 3,
        png::ColorType::Rgba => 4,
    };
    let row_len = size.0 as usize * channels;
    admit((row_len * size.1 as usize) as u64)?;
    // Opaque mid-grey, whatever the layout.
    let grey: Vec<u8> = (0..channels).map(|c| if channels % 2 == 0 && c == channels - 1 { 255 } else { 128 }).collect();
    let mut pixels: Vec<u8> = grey.iter().copied().cycle().take(row_len * size.1 as usize).collect();
    let mut rows = 0;
    while rows < size.1 as usize {
        match reader.next_row() {
            Ok(Some(row)) if row.data().len() == row_len => {
                pixels[rows * row_len..(rows + 1) * row_len].copy_from_slice(row.data());
                rows += 1;
            }
            _ => break,
        }
    }
    if rows == 0 {
        return Err(FileError::Truncated("PNG"));
    }
    let bad = || FileError::Corrupt { format: "PNG", detail: "short pixel data".into() };
    let image = match channels {
        1 => DynamicImage::ImageLuma8(image::GrayImage::from_raw(size.0, size.1, pixels).ok_or_else(bad)?),
        2 => DynamicImage::ImageLumaA8(image::GrayAlphaImage::from_raw(size.0, size.1, pixels).ok_or_else(bad)?),
        3 => DynamicImage::ImageRgb8(image::RgbImage::from_raw(size.0, size.1, pixels).ok_or_else(bad)?),
        _ => DynamicImage::ImageRgba8(image::RgbaImage::from_raw(size.0, size.1, pixels).ok_or_else(bad)?),
    };
    let warning = Some(partial_warning(rows, size.1));
    Ok(Decoded {
        image,
        source_size: size,
        orientation: Orientation::NoTransforms,
        icc,
        format: InFormat::Png,
        warning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0; 4]); // CRC: not checked here
        c
    }

    fn png_with_iccp(inflated: usize) -> Vec<u8> {
        let mut data = b"bomb\0\0".to_vec();
        data.extend(fdeflate::compress_to_vec(&vec![0u8; inflated]));
        let mut png = SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        png.extend(chunk(b"iCCP", &data));
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        png
    }

    #[test]
    fn an_iccp_that_inflates_past_the_cap_is_cut_out() {
        let bomb = png_with_iccp(MAX_ICC + 1);
        let (kept, warning) = without_metadata_bombs(&bomb);
        assert!(warning.unwrap().starts_with("ICC profile dropped"));
        assert!(!kept.windows(4).any(|w| w == b"iCCP"));
        assert!(kept.windows(4).any(|w| w == b"IDAT"));
    }

    #[test]
    fn a_real_sized_iccp_is_left_alone() {
        let png = png_with_iccp(600 << 10);
        let (kept, warning) = without_metadata_bombs(&png);
        assert!(warning.is_none());
        assert!(matches!(kept, Cow::Borrowed(_)));
    }
}
