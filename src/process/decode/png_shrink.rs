//! A big PNG decoded row by row and shrunk on the fly by a whole factor
//! (each output pixel the mean of an f×f block, alpha-weighted), so memory
//! holds the reduced image and one row, not the whole picture: what JPEG's
//! DCT scaling gives, for PNG. libvips streams the same way. Interlaced files
//! spread each pass over the whole image and take the whole-image path.

use std::io::{BufRead, Cursor, Seek};

use image::metadata::Orientation;
use image::{DynamicImage, ImageBuffer};
use png::{BitDepth, ColorType};

use super::classify::{png_cut_short, ran_out, tidy};
use super::png::partial_warning;
use super::{DecodeOptions, Decoded, InFormat, Shrink, check_held, swaps_axes};
use crate::error::FileError;
use crate::process::Admit;
use crate::read::Source;

/// The reduced image's samples, at the file's depth.
enum Samples {
    Eight(Vec<u8>),
    Sixteen(Vec<u16>),
}

impl Samples {
    fn push(&mut self, v: u64) {
        match self {
            Samples::Eight(s) => s.push(v as u8),
            Samples::Sixteen(s) => s.push(v as u16),
        }
    }

    fn len(&self) -> usize {
        match self {
            Samples::Eight(s) => s.len(),
            Samples::Sixteen(s) => s.len(),
        }
    }
}

/// Box sums of one band of `f` source rows, per output pixel and channel.
struct Band {
    f: usize,
    width: usize,
    channels: usize,
    alpha: bool,
    /// Colour sums (alpha-weighted when there is alpha), then alpha sums.
    sums: Vec<u64>,
    rows: usize,
}

impl Band {
    fn new(f: usize, width: usize, channels: usize, alpha: bool) -> Self {
        let out_w = width.div_ceil(f);
        Band { f, width, channels, alpha, sums: vec![0; out_w * channels], rows: 0 }
    }

    /// Adds one source row of samples (`u8`, or `u16` for 16-bit files).
    fn add<T: Copy + Into<u64>>(&mut self, row: &[T]) {
        // Grey, grey+alpha, RGB, RGBA: the only layouts after EXPAND.
        match self.channels {
            1 => self.add_n::<1, T>(row),
            2 => self.add_n::<2, T>(row),
            3 => self.add_n::<3, T>(row),
            _ => self.add_n::<4, T>(row),
        }
        self.rows += 1;
    }

    /// `add` for `CH` samples a pixel, known when compiled.
    fn add_n<const CH: usize, T: Copy + Into<u64>>(&mut self, row: &[T]) {
        let alpha = self.alpha;
        for (block, sums) in row.chunks(self.f * CH).zip(self.sums.chunks_exact_mut(CH)) {
            for px in block.chunks_exact(CH) {
                if alpha {
                    let a: u64 = px[CH - 1].into();
                    for k in 0..CH - 1 {
                        sums[k] += px[k].into() * a;
                    }
                    sums[CH - 1] += a;
                } else {
                    for k in 0..CH {
                        sums[k] += px[k].into();
                    }
                }
            }
        }
    }

    /// The band's output row, and the band emptied for the next.
    fn take(&mut self, out: &mut Samples) {
        let ch = self.channels;
        for (bx, sums) in self.sums.chunks_exact_mut(ch).enumerate() {
            let cols = (self.width - bx * self.f).min(self.f) as u64;
            let n = cols * self.rows as u64;
            if self.alpha {
                let a = sums[ch - 1];
                for &s in &sums[..ch - 1] {
                    // Colour of the covered part; a fully clear block keeps 0.
                    out.push((s + a / 2).checked_div(a).unwrap_or(0));
                }
                out.push((a + n / 2) / n);
            } else {
                sums.iter().for_each(|&s| out.push((s + n / 2) / n));
            }
            sums.fill(0);
        }
        self.rows = 0;
    }
}

/// Width and height from the IHDR chunk, which a PNG must start with.
pub(crate) fn ihdr_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let be = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    (bytes.get(12..16)? == b"IHDR").then_some(())?;
    Some((be(16)?, be(20)?))
}

/// Decodes `bytes` (a PNG without metadata bombs) shrunk by the factor
/// `shrink` allows, or says `None` when that is 1 or the file is interlaced
/// (the whole-image path then decodes it, and names any header error).
pub fn decode(
    bytes: &[u8],
    opts: &DecodeOptions,
    admit: &mut Admit<'_>,
    shrink: &Shrink<'_>,
) -> Result<Option<Decoded>, FileError> {
    // Most PNGs are not shrunk: the size alone says so, without reading the
    // headers that the whole-image path then reads again.
    if !may_shrink(bytes, shrink) {
        return Ok(None);
    }
    decode_from(Cursor::new(bytes), &mut { bytes }, opts, admit, shrink)
}

/// Whether the IHDR's size lets the PNG starting with `head` shrink on load.
pub(crate) fn may_shrink(head: &[u8], shrink: &Shrink<'_>) -> bool {
    ihdr_size(head).is_none_or(|size| shrink(size, false).max(shrink(size, true)) >= 2)
}

/// [`decode`] from any reader: the file held in memory, or read from disk
/// as the rows go (decode_file in decode/mod.rs). `whole` is the same bytes as a
/// [`Source`], looked at only to tell a cut file from a damaged one.
pub(crate) fn decode_from<R: BufRead + Seek, S: Source>(
    reader: R,
    whole: &mut S,
    opts: &DecodeOptions,
    admit: &mut Admit<'_>,
    shrink: &Shrink<'_>,
) -> Result<Option<Decoded>, FileError> {
    let mut d = png::Decoder::new(reader);
    // Palette and low bit depths to 8 bits, tRNS to alpha; 16 bits stay.
    d.set_transformations(png::Transformations::EXPAND);
    let Ok(mut reader) = d.read_info() else { return Ok(None) };
    let info = reader.info();
    if info.interlaced {
        return Ok(None);
    }
    let size = (info.width, info.height);
    let orientation =
        info.exif_metadata.as_deref().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let f = shrink(size, swaps_axes(orientation));
    if f < 2 {
        return Ok(None);
    }
    let icc = info.icc_profile.as_ref().map(|p| p.to_vec());
    let (colour, depth) = reader.output_color_type();
    let channels = colour.samples();
    let alpha = matches!(colour, ColorType::GrayscaleAlpha | ColorType::Rgba);
    let sixteen = depth == BitDepth::Sixteen;
    let out = (size.0.div_ceil(f), size.1.div_ceil(f));
    // What is held is the reduced image: that is what --max-pixels guards.
    check_held(size, out, opts)?;
    let (width, f) = (size.0 as usize, f as usize);
    let too_wide =
        || FileError::Corrupt { format: "PNG", detail: format!("rows of {} pixels overflow memory", size.0) };
    let line = reader.output_line_size(size.0).ok_or_else(too_wide)?;
    let sample_bytes = if sixteen { 2 } else { 1 };
    let out_len = out.0 as usize * out.1 as usize * channels;
    // The reduced image, the decoder's current and previous rows, the sums.
    admit(
        (out_len * sample_bytes + 2 * line + out.0 as usize * channels * 8) as u64
            + icc.as_ref().map_or(0, |p| p.len() as u64),
    )?;
    let mut band = Band::new(f, width, channels, alpha);
    // A 16-bit row in native order.
    let mut wide: Vec<u16> = Vec::new();
    let mut samples = if sixteen {
        Samples::Sixteen(Vec::with_capacity(out_len))
    } else {
        Samples::Eight(Vec::with_capacity(out_len))
    };
    let mut rows = 0;
    let mut failure = None;
    while rows < size.1 as usize {
        match reader.next_row() {
            Ok(Some(row)) if row.data().len() == line => {
                let data = row.data();
                if sixteen {
                    wide.clear();
                    wide.extend(data.chunks_exact(2).map(|b| u16::from_be_bytes([b[0], b[1]])));
                    band.add(&wide);
                } else {
                    band.add(data);
                }
                rows += 1;
                if rows % f == 0 {
                    band.take(&mut samples);
                }
            }
            Ok(_) => break,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let mut warning = None;
    if rows < size.1 as usize {
        let truncated = failure.as_ref().is_none_or(|e| ran_out(e) || png_cut_short(whole));
        if !truncated {
            let detail = failure.map_or_else(|| "short pixel data".to_string(), |e| tidy(&e.to_string()));
            return Err(FileError::Corrupt { format: "PNG", detail });
        }
        if !opts.allow_truncated || rows == 0 {
            return Err(FileError::Truncated("PNG"));
        }
        warning = Some(partial_warning(rows, size.1));
    }
    if band.rows > 0 {
        band.take(&mut samples);
    }
    // Rows the file did not have: opaque mid-grey.
    let max = if sixteen { 65535 } else { 255 };
    let grey: Vec<u64> = (0..channels).map(|c| if alpha && c == channels - 1 { max } else { max / 2 + 1 }).collect();
    for v in grey.iter().copied().cycle().take(out_len - samples.len()) {
        samples.push(v);
    }
    let bad = || FileError::Corrupt { format: "PNG", detail: "short pixel data".into() };
    let (w, h) = out;
    use DynamicImage as D;
    let image = match (samples, channels) {
        (Samples::Eight(s), 1) => D::ImageLuma8(ImageBuffer::from_raw(w, h, s).ok_or_else(bad)?),
        (Samples::Eight(s), 2) => D::ImageLumaA8(ImageBuffer::from_raw(w, h, s).ok_or_else(bad)?),
        (Samples::Eight(s), 3) => D::ImageRgb8(ImageBuffer::from_raw(w, h, s).ok_or_else(bad)?),
        (Samples::Eight(s), _) => D::ImageRgba8(ImageBuffer::from_raw(w, h, s).ok_or_else(bad)?),
        (Samples::Sixteen(s), 1) => D::ImageLuma16(ImageBuffer::from_raw(w, h, s).ok_or_else(bad)?),
        (Samples::Sixteen(s), 2) => D::ImageLumaA16(ImageBuffer::from_raw(w, h, s).ok_or_else(bad)?),
        (Samples::Sixteen(s), 3) => D::ImageRgb16(ImageBuffer::from_raw(w, h, s).ok_or_else(bad)?),
        (Samples::Sixteen(s), _) => D::ImageRgba16(ImageBuffer::from_raw(w, h, s).ok_or_else(bad)?),
    };
    Ok(Some(Decoded { image, source_size: size, orientation, icc, format: InFormat::Png, warning }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shrunk(band: &mut Band) -> Vec<u64> {
        let mut out = Samples::Sixteen(Vec::new());
        band.take(&mut out);
        match out {
            Samples::Sixteen(s) => s.into_iter().map(u64::from).collect(),
            Samples::Eight(_) => unreachable!(),
        }
    }

    /// A clear pixel's colour does not bleed into the block: the mean is
    /// weighted by alpha, as resampling premultiplied pixels is.
    #[test]
    fn colour_is_alpha_weighted_and_alpha_is_the_plain_mean() {
        let mut band = Band::new(2, 3, 4, true);
        band.add(&[255u8, 0, 0, 255, 0, 255, 0, 0, 9, 9, 9, 100]);
        band.add(&[0u8, 255, 0, 0, 0, 255, 0, 0, 9, 9, 9, 50]);
        // Block 1: one opaque red pixel of four; block 2 (the odd column,
        // one pixel wide): grey at alpha 100 and 50.
        assert_eq!(shrunk(&mut band), vec![255, 0, 0, 64, 9, 9, 9, 75]);
        // Emptied for the next band.
        band.add(&[10u8, 20, 30, 255, 10, 20, 30, 255, 0, 0, 0, 0]);
        assert_eq!(shrunk(&mut band), vec![10, 20, 30, 255, 0, 0, 0, 0]);
    }

    #[test]
    fn without_alpha_each_sample_is_the_rounded_block_mean() {
        let mut band = Band::new(4, 5, 1, false);
        for row in [[0u8, 10, 20, 30, 7], [40, 50, 60, 70, 8]] {
            band.add(&row);
        }
        assert_eq!(shrunk(&mut band), vec![35, 8]);
    }
}
