//! Camera RAW input through rawler (pure Rust): the smallest embedded
//! preview that is big enough for every output, turned by the RAW's EXIF
//! orientation; otherwise (or with `--raw full`) the raw sensor data,
//! demosaiced and developed to sRGB.

use std::io::Cursor;
use std::sync::Arc;

use image::DynamicImage;
use image::metadata::Orientation;
use rawler::decoders::{Decoder, RawDecodeParams};
use rawler::imgop::develop::RawDevelop;
use rawler::rawsource::RawSource;

use super::{DecodeOptions, Decoded, Enough, Header, InFormat, RawKind, check_pixels, swaps_axes, to_8bit};
use crate::error::FileError;
use crate::job::RawMode;

/// A DNG saved without its extension is still a DNG: its first IFD has a
/// DNGVersion tag, which a plain TIFF never carries.
pub(crate) fn is_dng(bytes: &[u8]) -> bool {
    const DNG_VERSION: u16 = 50706;
    tiff::decoder::Decoder::new(Cursor::new(bytes))
        .ok()
        .and_then(|mut d| d.find_tag(tiff::tags::Tag::Unknown(DNG_VERSION)).ok().flatten())
        .is_some()
}

fn failed(kind: RawKind, e: impl std::fmt::Display) -> FileError {
    FileError::Unsupported(format!("cannot read this {} file: {e}", kind.name()))
}

/// One of rawler's embedded-image accessors (thumbnail, preview, full).
type PreviewGetter = fn(&dyn Decoder, &RawSource, &RawDecodeParams) -> rawler::Result<Option<DynamicImage>>;

struct Opened {
    source: RawSource,
    decoder: Box<dyn Decoder>,
    orientation: Orientation,
}

/// What [`tiff_structure_fits`] found wrong.
enum Misfit {
    /// An entry claims more data than the file holds.
    Entry { tag: u16, bytes: u64 },
    /// An image in the file claims more pixels than allowed.
    Pixels(u32, u32),
}

/// rawler allocates each IFD entry's values from the count the file claims
/// before reading them, and a preview's pixels from its declared size: a
/// 400-byte file claiming 3 billion values makes it ask for 13 GB, which
/// aborts the process where the allocation cannot be made. So the standard
/// IFDs of a TIFF-based RAW (the chain, SubIFDs, EXIF, GPS, Interop) are
/// checked first: no entry may claim more bytes than the file has, no image
/// more pixels than `max_pixels`. (Makernotes, laid out per vendor, are not
/// walked.)
fn tiff_structure_fits(bytes: &[u8], max_pixels: u64) -> Result<(), Misfit> {
    const SUB_IFDS: [u16; 4] = [330, 34665, 34853, 40965];
    let big = match bytes.get(..2) {
        Some(b"MM") => true,
        Some(b"II") => false,
        _ => return Ok(()),
    };
    let u16_at = |o: usize| {
        bytes
            .get(o..o + 2)
            .map(|b| if big { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let u32_at = |o: usize| {
        bytes.get(o..o + 4).map(|b| {
            let a = [b[0], b[1], b[2], b[3]];
            if big { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) }
        })
    };
    let len = bytes.len() as u64;
    let mut todo: Vec<u32> = u32_at(4).into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    while let Some(ifd) = todo.pop() {
        if ifd == 0 || !seen.insert(ifd) || seen.len() > 256 {
            continue;
        }
        let at = ifd as usize;
        let Some(n) = u16_at(at) else { continue };
        let (mut width, mut height) = (0u32, 0u32);
        for i in 0..n as usize {
            let e = at + 2 + 12 * i;
            let (Some(tag), Some(typ), Some(count)) = (u16_at(e), u16_at(e + 2), u32_at(e + 4)) else { break };
            let size: u64 = match typ {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 | 13 => 4,
                5 | 10 | 12 | 16 | 17 | 18 => 8,
                // rawler reads an unknown type as `count` bytes.
                _ => 1,
            };
            let total = size * count as u64;
            if total > len {
                return Err(Misfit::Entry { tag, bytes: total });
            }
            let first = if total <= 4 {
                if size == 2 { u16_at(e + 8).map(u32::from) } else { u32_at(e + 8) }
            } else {
                u32_at(e + 8).and_then(|o| u32_at(o as usize))
            };
            match tag {
                256 => width = first.unwrap_or(0),
                257 => height = first.unwrap_or(0),
                t if SUB_IFDS.contains(&t) && (typ == 4 || typ == 13) => {
                    if count == 1 {
                        todo.extend(u32_at(e + 8));
                    } else if let Some(o) = u32_at(e + 8) {
                        todo.extend((0..count.min(64) as usize).filter_map(|k| u32_at(o as usize + 4 * k)));
                    }
                }
                _ => {}
            }
        }
        if width as u64 * height as u64 > max_pixels {
            return Err(Misfit::Pixels(width, height));
        }
        todo.extend(u32_at(at + 2 + 12 * n as usize));
    }
    Ok(())
}

fn open(bytes: &[u8], kind: RawKind, opts: &DecodeOptions) -> Result<Opened, FileError> {
    match tiff_structure_fits(bytes, opts.max_pixels) {
        Ok(()) => {}
        Err(Misfit::Entry { tag, bytes }) => {
            let detail = format!("TIFF tag {tag} claims {bytes} bytes, more than the whole file");
            return Err(FileError::Corrupt { format: kind.name(), detail });
        }
        Err(Misfit::Pixels(width, height)) => {
            return Err(FileError::TooManyPixels { width, height, max: opts.max_pixels });
        }
    }
    let source = RawSource::new_from_shared_vec(Arc::new(bytes.to_vec()));
    let decoder = rawler::get_decoder(&source).map_err(|e| failed(kind, e))?;
    let params = RawDecodeParams::default();
    let exif_orientation = decoder.raw_metadata(&source, &params).ok().and_then(|m| m.exif.orientation);
    let orientation = exif_orientation
        .and_then(|o| u8::try_from(o).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    Ok(Opened { source, decoder, orientation })
}

/// The sensor's size, from the raw IFD without decoding it.
fn raw_size(o: &Opened, kind: RawKind) -> Result<(u32, u32), FileError> {
    let dummy = o.decoder.raw_image(&o.source, &RawDecodeParams::default(), true).map_err(|e| failed(kind, e))?;
    let crop = dummy.crop_area.map(|r| (r.d.w, r.d.h)).unwrap_or((dummy.width, dummy.height));
    Ok((crop.0 as u32, crop.1 as u32))
}

/// rawler meets malformed files with panics (asserts, `todo!()`) as often
/// as with errors; either way the file is corrupt, so say so in those words
/// rather than as an internal error of ours.
fn catching<T>(kind: RawKind, f: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no reason given".into());
        Err(FileError::Corrupt { format: kind.name(), detail: format!("the RAW decoder gave up: {msg}") })
    })
}

/// For `--dry-run`: the sensor's size and the RAW's orientation.
pub fn header(bytes: &[u8], kind: RawKind, opts: &DecodeOptions) -> Result<Header, FileError> {
    catching(kind, || {
        let o = open(bytes, kind, opts)?;
        let size = raw_size(&o, kind)?;
        check_pixels(size, opts)?;
        Ok(Header { size, orientation: o.orientation })
    })
}

/// Pixels for the outputs: a preview when one is big enough, else the raw data.
pub fn decode(
    bytes: &[u8],
    kind: RawKind,
    opts: &DecodeOptions,
    admit: &mut super::super::Admit<'_>,
    enough: &Enough<'_>,
) -> Result<Decoded, FileError> {
    catching(kind, || {
        let o = open(bytes, kind, opts)?;
        let size = raw_size(&o, kind)?;
        check_pixels(size, opts)?;
        let swap = swaps_axes(o.orientation);
        let params = RawDecodeParams::default();
        let mut largest: Option<(u32, u32)> = None;
        if opts.raw == RawMode::Preview {
            // An embedded preview is at most the sensor's size, 8-bit RGB, plus
            // the JPEG decoder's own copy.
            admit(size.0 as u64 * size.1 as u64 * 3 * 2)?;
            // Smallest first: the thumbnail, the preview, the full-size JPEG.
            let getters: [PreviewGetter; 3] =
                [|d, s, p| d.thumbnail_image(s, p), |d, s, p| d.preview_image(s, p), |d, s, p| d.full_image(s, p)];
            for get in getters {
                let Ok(Some(preview)) = get(o.decoder.as_ref(), &o.source, &params) else { continue };
                let psize = (preview.width(), preview.height());
                if psize.0 == 0 || psize.1 == 0 {
                    continue;
                }
                if enough(psize, swap) {
                    let mut decoded = decoded(preview, o.orientation, kind);
                    decoded.source_size = psize;
                    return Ok(decoded);
                }
                largest = largest.max(Some(psize));
            }
        }
        // rawler keeps the raw samples, a float copy and the demosaiced float
        // RGB image (12 bytes a pixel) at once, and more during the steps.
        admit(size.0 as u64 * size.1 as u64 * 40)?;
        let raw = o.decoder.raw_image(&o.source, &params, false).map_err(|e| failed(kind, e))?;
        let developed = RawDevelop::default()
            .develop_intermediate(&raw)
            .map_err(|e| develop_failed(kind, largest, e))?
            .to_dynamic_image()
            .ok_or_else(|| develop_failed(kind, largest, "no image"))?;
        drop(raw);
        Ok(decoded(developed, o.orientation, kind))
    })
}

fn develop_failed(kind: RawKind, largest: Option<(u32, u32)>, e: impl std::fmt::Display) -> FileError {
    let previews = match largest {
        Some((w, h)) => format!("the largest embedded preview ({w}x{h}) is smaller than the outputs"),
        None => "no embedded preview".into(),
    };
    FileError::Unsupported(format!("{} raw data cannot be developed ({e}) and {previews}", kind.name()))
}

fn decoded(image: DynamicImage, orientation: Orientation, kind: RawKind) -> Decoded {
    let source_size = (image.width(), image.height());
    Decoded { image: to_8bit(image), source_size, orientation, icc: None, format: InFormat::Raw(kind), warning: None }
}

/// A camera RAW family, by rawler: an embedded preview or the raw data.
pub(crate) struct Raw(pub RawKind);

impl super::Decoder for Raw {
    fn header(&self, bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError> {
        header(bytes, self.0, opts)
    }

    fn decode(&self, bytes: &[u8], req: &mut super::Request<'_>) -> Result<Decoded, FileError> {
        decode(bytes, self.0, req.opts, req.admit, req.enough)
    }

    fn header_at_start(&self) -> bool {
        // TIFF-based: its IFDs may be anywhere in the file.
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF with one IFD holding `entries` (tag, type, count, value).
    fn tiff(entries: &[(u16, u16, u32, u32)]) -> Vec<u8> {
        let mut b = b"II*\0\x08\0\0\0".to_vec();
        b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, typ, count, value) in entries {
            b.extend_from_slice(&tag.to_le_bytes());
            b.extend_from_slice(&typ.to_le_bytes());
            b.extend_from_slice(&count.to_le_bytes());
            b.extend_from_slice(&value.to_le_bytes());
        }
        b.extend_from_slice(&[0; 4]);
        b.resize(b.len() + 64, 0);
        b
    }

    #[test]
    fn entries_claiming_more_than_the_file_are_caught_before_rawler() {
        let max = crate::job::DEFAULT_MAX_PIXELS;
        assert!(tiff_structure_fits(&tiff(&[(256, 4, 1, 8), (257, 4, 1, 6)]), max).is_ok());
        // The fuzzer's find: a LONG entry claiming 3.3 billion values.
        let bomb = tiff(&[(256, 4, 1, 8), (279, 4, 0xC800_0000, 200)]);
        assert!(matches!(tiff_structure_fits(&bomb, max), Err(Misfit::Entry { tag: 279, .. })));
        // An unknown field type is still `count` bytes to rawler.
        let odd = tiff(&[(256, 4, 1, 8), (273, 0x2d00, 0x9E00_0000, 0)]);
        assert!(matches!(tiff_structure_fits(&odd, max), Err(Misfit::Entry { tag: 273, .. })));
        // A preview IFD declaring 100000x100000 pixels.
        let huge = tiff(&[(256, 4, 1, 100_000), (257, 4, 1, 100_000)]);
        assert!(matches!(tiff_structure_fits(&huge, max), Err(Misfit::Pixels(100_000, 100_000))));
        // The same bomb one SubIFD down.
        let mut nested = tiff(&[(330, 4, 1, 40)]);
        let sub = tiff(&[(273, 3, 0x8000_0000, 0)]);
        nested.truncate(40);
        nested.extend_from_slice(&sub[8..]);
        assert!(matches!(tiff_structure_fits(&nested, max), Err(Misfit::Entry { tag: 273, .. })));
        let opts = DecodeOptions { max_pixels: max, allow_truncated: false, raw: RawMode::Preview };
        let err = decode(&bomb, RawKind::Dng, &opts, &mut |_| Ok(()), &|_, _| true).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.starts_with("corrupt DNG: TIFF tag 279 claims")));
    }
}
