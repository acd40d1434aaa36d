//! JPEG: libjpeg-turbo-rs (a pure-Rust port of libjpeg-turbo with its SIMD)
//! for full-size decodes; libjpeg-turbo itself (feature `jpeg-turbo`, on by
//! default; see turbo.rs) for shrink-on-load at 1/2 to 1/8, for multi-scan
//! sequential files and for CMYK, decoded from the open file. Without the
//! feature jpeg-decoder does the first two, shrinking at 1/4 and 1/8 only.
//!
//! A file cut short that still ends with an EOI marker (a broken download
//! "repaired" by a tool, a carved file) decodes with a grey lower part.
//! libjpeg says "premature end of data segment", but says the same of one
//! scan's data cut short inside a file that goes on, which is damage, not
//! truncation. jpeg-decoder says nothing at all. Both are told apart by
//! placing 1-bits before the EOI: a complete scan never reads them (the
//! encoder's own padding bits are 1s too), while a scan that needs more data
//! reads them, and a run of 1-bits is never a valid Huffman code, so the
//! decode meets errors it did not meet before. libjpeg-turbo (C) knows which
//! marker a short scan met and needs no such probe.

use std::io::Cursor;

use image::DynamicImage;
use image::metadata::Orientation;

use super::classify::tidy;
#[cfg(feature = "jpeg-turbo")]
use super::turbo;
use super::{DecodeOptions, Decoded, InFormat, Shrink, check_pixels, swaps_axes, warn};
use crate::error::FileError;
use crate::format::jpeg::{self, JpegInfo, Process};
use crate::process::Admit;
use crate::process::colour::{cmyk_profile, cmyk_to_srgb, profile_from_exif};
#[cfg(feature = "jpeg-turbo")]
use crate::read::Input;

/// jpeg-decoder at 1/2 scale is slower than a full decode plus the bigger
/// resize (criterion `stages_12mp`: 98 ms vs 80 + 16 ms on 12 MP); from 1/4
/// on it wins clearly (59 ms, 54 ms at 1/8).
const MIN_USEFUL_SHRINK: u32 = 4;

/// More scans than any encoder writes (mozjpeg's most is about 20): each
/// progressive scan re-reads every coefficient, so thousands of tiny scans
/// are a CPU bomb. The same limit holds whichever decoder runs.
pub(crate) const MAX_SCANS: u32 = 100;

/// The largest side libjpeg decodes (JPEG_MAX_DIMENSION).
#[cfg(feature = "jpeg-turbo")]
const MAX_SIDE: u32 = 65_500;

/// Pixels one byte of sequential data can cover at most, with room to
/// spare: 2 bits a block of 64 pixels, with chroma subsampled up to 4×4.
#[cfg(feature = "jpeg-turbo")]
const MIN_PIXELS_PER_BYTE: u64 = 4096;

/// What goes before a complete file's EOI marker (and the EOI itself):
/// stuffed 0xFF bytes (`FF 00`), 1-bits to the decoders, 512 of them, more
/// than a decoder reads ahead or than one block can consume before its next
/// Huffman code.
const TAIL: [u8; 130] = {
    let mut b = [0u8; 130];
    let mut i = 0;
    while i < 128 {
        b[i] = 0xFF;
        i += 2;
    }
    b[128] = 0xFF;
    b[129] = 0xD9;
    b
};

const NAME: &str = "JPEG";

/// What the decoder error means for a person.
fn corrupt(detail: impl std::fmt::Display) -> FileError {
    FileError::Corrupt { format: NAME, detail: detail.to_string() }
}

/// Checks what the marker walk found before decoding.
fn check(info: JpegInfo, opts: &DecodeOptions, warning: &mut Option<String>) -> Result<JpegInfo, FileError> {
    match info.process() {
        Process::Arithmetic => return Err(FileError::Unsupported("arithmetic-coded JPEG".into())),
        Process::Lossless => return Err(FileError::Unsupported("lossless JPEG".into())),
        Process::Hierarchical => return Err(FileError::Unsupported("hierarchical JPEG".into())),
        Process::Sequential | Process::Progressive if info.precision > 8 => {
            return Err(FileError::Unsupported(format!("{}-bit JPEG", info.precision)));
        }
        _ => {}
    }
    if info.scans > MAX_SCANS {
        return Err(FileError::Unsupported(format!("JPEG with {} scans (more than {MAX_SCANS})", info.scans)));
    }
    if !info.complete && info.scans > 0 {
        if !opts.allow_truncated {
            return Err(FileError::Truncated(NAME));
        }
        *warning = Some("truncated JPEG: the missing part is filled in".into());
    }
    Ok(info)
}

/// The file with 1-bits before its EOI (see the module comment); the file
/// itself when it has no EOI (already known to be truncated).
fn with_ones_before_eoi(bytes: &[u8], info: &JpegInfo) -> Vec<u8> {
    if !info.complete {
        return bytes.to_vec();
    }
    let mut v = Vec::with_capacity(info.eoi + TAIL.len());
    v.extend_from_slice(&bytes[..info.eoi]);
    v.extend_from_slice(&TAIL);
    v
}

/// The same as a reader, without copying the file: jpeg-decoder reads
/// through any reader, a byte at a time, so the common case (the byte is in
/// the file's part) must be as cheap as a slice's own `read_exact`.
struct Probe<'a> {
    head: &'a [u8],
    tail: &'static [u8],
}

impl<'a> Probe<'a> {
    fn new(bytes: &'a [u8], info: &JpegInfo) -> Self {
        if info.complete { Probe { head: &bytes[..info.eoi], tail: &TAIL } } else { Probe { head: bytes, tail: &[] } }
    }
}

impl std::io::Read for Probe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.head.is_empty() { self.tail.read(buf) } else { self.head.read(buf) }
    }

    #[inline]
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        if buf.len() <= self.head.len() {
            return self.head.read_exact(buf);
        }
        let mut filled = 0;
        while filled < buf.len() {
            match self.read(&mut buf[filled..])? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => filled += n,
            }
        }
        Ok(())
    }
}

/// A file that decodes, but only with the decoder filling in data it does
/// not have: an error, or under `--allow-truncated` the decode with a warning.
fn truncated<T>(decoded: T, opts: &DecodeOptions, warning: &mut Option<String>) -> Result<T, FileError> {
    if !opts.allow_truncated {
        return Err(FileError::Truncated(NAME));
    }
    warn(warning, "truncated JPEG: the image data ends early, the rest is filled in".into());
    Ok(decoded)
}

/// Decodes a JPEG, shrunk on load when `shrink` allows.
pub fn decode(
    bytes: &[u8],
    opts: &DecodeOptions,
    admit: &mut Admit<'_>,
    shrink: &Shrink<'_>,
) -> Result<Decoded, FileError> {
    let mut warning = None;
    let info = check(jpeg::scan(bytes), opts, &mut warning)?;
    let at_most = widest_shrink(&info, shrink);
    #[cfg(feature = "jpeg-turbo")]
    if for_turbo(&info, at_most) {
        return with_turbo(turbo::Source::Bytes(bytes), &info, opts, warning, admit, shrink, at_most);
    }
    if info.is_multi_scan_sequential() {
        return with_jpeg_decoder(bytes, &info, opts, warning, admit, &|_, _| 1);
    }
    if info.can_shrink_on_load() && at_most >= MIN_USEFUL_SHRINK {
        // The full-size decoder is not told to scale: jpeg-decoder does it.
        return with_jpeg_decoder(bytes, &info, opts, warning, admit, shrink);
    }
    with_full_size(bytes, &info, opts, warning, admit)
}

/// The most either orientation allows; the decoder settles it once it has
/// read the EXIF.
fn widest_shrink(info: &JpegInfo, shrink: &Shrink<'_>) -> u32 {
    shrink(info.size, false).max(shrink(info.size, true))
}

/// Whether libjpeg-turbo decodes this file. Without NASM's SIMD its
/// full-size decode is slower than libjpeg-turbo-rs's (T2: 3.12 s against
/// zune-jpeg's 2.73 s, which libjpeg-turbo-rs beats); scaled, it does less
/// work.
/// CMYK and YCCK files (4 components) go to it at every size: they are rare,
/// and libjpeg-turbo-rs 0.9 panics on some damaged ones (found by fuzzing;
/// the worker would report the panic, libjpeg decodes what it can).
#[cfg(feature = "jpeg-turbo")]
fn for_turbo(info: &JpegInfo, at_most: u32) -> bool {
    info.is_multi_scan_sequential() || at_most >= 2 || info.components == 4
}

/// A JPEG decoded from its open file, never held whole in memory (see
/// process/mod.rs); `None` when it is not for libjpeg-turbo: the full-size
/// decode wants the bytes.
/// `head` is the start of the file.
#[cfg(feature = "jpeg-turbo")]
pub(crate) fn decode_file(
    input: &Input,
    head: &[u8],
    opts: &DecodeOptions,
    admit: &mut Admit<'_>,
    shrink: &Shrink<'_>,
) -> Result<Option<Decoded>, FileError> {
    // A progressive file that is not shrunk goes to the full-size decoder
    // whatever its scans: its frame header says so, and the whole file is walked once,
    // in memory, instead of here as well.
    let headers = jpeg::scan(head);
    if headers.process() == Process::Progressive && widest_shrink(&headers, shrink) < 2 {
        return Ok(None);
    }
    let mut window = input.window();
    let info = jpeg::scan_from(&mut window);
    if let Some(e) = window.error {
        return Err(FileError::Read(e));
    }
    let mut warning = None;
    let info = check(info, opts, &mut warning)?;
    let at_most = widest_shrink(&info, shrink);
    if !for_turbo(&info, at_most) {
        return Ok(None);
    }
    let source = turbo::Source::File(input.file(), input.len);
    with_turbo(source, &info, opts, warning, admit, shrink, at_most).map(Some)
}

/// Full-size decode with libjpeg-turbo-rs, a pure-Rust port of libjpeg-turbo
/// with its SIMD (byte-identical output to libjpeg-turbo's `djpeg`).
/// Decoded leniently, once: what it says it filled in decides between a file
/// cut short (an error unless `--allow-truncated`) and damaged data (decoded
/// as far as it goes, with a warning), as libjpeg's warnings do in
/// [`with_turbo`].
fn with_full_size(
    bytes: &[u8],
    info: &JpegInfo,
    opts: &DecodeOptions,
    mut warning: Option<String>,
    admit: &mut Admit<'_>,
) -> Result<Decoded, FileError> {
    use libjpeg_turbo_rs::{ColorSpace, DecodeLimits, DecodeWarning, PixelFormat};
    let limits = DecodeLimits { max_pixels: opts.max_pixels, max_scans: MAX_SCANS as usize, ..DecodeLimits::default() };
    let header_error = |e: libjpeg_turbo_rs::JpegError| {
        if !info.complete {
            FileError::Truncated(NAME)
        } else if info.scans == 0 {
            corrupt("no image data before the end marker")
        } else {
            corrupt(tidy(&e.to_string()))
        }
    };
    let mut d = libjpeg_turbo_rs::Decoder::new_with_limits(bytes, limits).map_err(header_error)?;
    let header = d.header();
    let size = (header.width as u32, header.height as u32);
    check_pixels(size, opts)?;
    let exif = d.exif_data();
    let orientation = exif.and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    // A profile that cannot be put together is left out, as libjpeg's
    // reader does with a bogus one.
    let mut icc = d.icc_profile().ok().flatten().or_else(|| exif.and_then(profile_from_exif));
    // libjpeg undoes YCCK itself; CMYK is converted below.
    let (format, channels) = match d.jpeg_color_space() {
        ColorSpace::Grayscale => (PixelFormat::Grayscale, 1),
        ColorSpace::Cmyk | ColorSpace::Ycck => (PixelFormat::Cmyk, 4),
        _ => (PixelFormat::Rgb, 3),
    };
    let is_cmyk = channels == 4;
    let pixel_count = size.0 as u64 * size.1 as u64;
    let output = pixel_count * channels;
    // A sequential file is decoded into full-size component planes before
    // they are interleaved; a progressive one keeps every coefficient (2
    // bytes a sample) instead. A CMYK image is also converted to RGB.
    let progressive = info.process() == Process::Progressive;
    let peak = output + if progressive { 2 * output } else { output };
    let converted = if is_cmyk { 3 * pixel_count } else { 0 };
    admit(peak + converted + icc.as_ref().map_or(0, |p| p.len() as u64))?;
    d.set_output_format(format);
    d.set_lenient(true);
    let image = d.decode_image().map_err(header_error)?;
    let short = image.warnings.iter().any(|w| matches!(w, DecodeWarning::TruncatedData { .. }));
    let mut damage = image.warnings.iter().find_map(|w| match w {
        DecodeWarning::HuffmanError { message, .. } => Some(message.clone()),
        DecodeWarning::UnsupportedRecovered { detail } => Some(detail.clone()),
        // Stray bytes between markers: the pixels are all there.
        _ => None,
    });
    let size = (image.width as u32, image.height as u32);
    let mut pixels = image.data;
    if short && info.complete {
        // A scan ran out of data. It is the file that was cut (and given
        // back an EOI) only if the scan that ran out is the one before the
        // EOI: then the 1-bits placed there change what the decode meets.
        admit(peak)?;
        let ones = with_ones_before_eoi(bytes, info);
        let mut probe = libjpeg_turbo_rs::Decoder::new_with_limits(&ones, limits).map_err(header_error)?;
        probe.set_output_format(format);
        probe.set_lenient(true);
        let cut = probe.decode_image().map_or(true, |p| p.warnings != image.warnings);
        if cut {
            pixels = truncated(pixels, opts, &mut warning)?;
        } else {
            damage.get_or_insert_with(|| "premature end of data segment".into());
        }
    }
    if let Some(why) = damage {
        damaged(&mut warning, &why);
    }
    let image = if is_cmyk {
        cmyk_image(pixels, info.adobe, size, &mut icc, &mut warning)?
    } else {
        to_image(channels as usize, size, pixels)?
    };
    Ok(Decoded { image, source_size: size, orientation, icc, format: InFormat::Jpeg, warning })
}

/// Decode with libjpeg-turbo, at 1/2, 1/4 or 1/8 scale when `shrink` allows
/// (its scaled inverse DCTs make even 1/2 cheaper than a full decode).
#[cfg(feature = "jpeg-turbo")]
fn with_turbo(
    source: turbo::Source<'_>,
    info: &JpegInfo,
    opts: &DecodeOptions,
    mut warning: Option<String>,
    admit: &mut Admit<'_>,
    shrink: &Shrink<'_>,
    at_most: u32,
) -> Result<Decoded, FileError> {
    use super::check_held;
    use super::turbo::{Error, space};
    // What libjpeg holds: the reduced image, or for a progressive or
    // multi-scan file the coefficients of the whole one.
    let multi_scan = info.process() == Process::Progressive || info.scans > 1;
    let held = |f: u32| if multi_scan { info.size } else { (info.size.0.div_ceil(f), info.size.1.div_ceil(f)) };
    check_held(info.size, held(at_most), opts)?;
    if info.size.0 > MAX_SIDE || info.size.1 > MAX_SIDE {
        return Err(FileError::Unsupported(format!("JPEG over {MAX_SIDE} pixels wide or high")));
    }
    // Every block of a sequential scan takes at least two Huffman codes (its
    // DC difference and an end of block), so data much shorter than the
    // image is a file cut short, or a header bomb: refused before libjpeg
    // spends time filling in an image that is not there.
    let data = info.eoi.saturating_sub(info.first_scan.unwrap_or(info.eoi)) as u64;
    let pixels = info.size.0 as u64 * info.size.1 as u64;
    if !multi_scan && !opts.allow_truncated && data.saturating_mul(MIN_PIXELS_PER_BYTE) < pixels {
        return Err(FileError::Truncated(NAME));
    }
    let failed = |why: Error| match why {
        Error::Read(e) => FileError::Read(e),
        Error::Data(why) if info.complete => corrupt(why),
        Error::Data(_) => FileError::Truncated(NAME),
    };
    // libjpeg's own cap on the coefficients it holds: --max-pixels' worth
    // of 4 full-resolution components at 2 bytes a sample, and room for
    // its smaller buffers. A backstop: held() already counted them.
    let coefficient_cap = opts.max_pixels.saturating_mul(8).saturating_add(16 << 20);
    let (mut d, header) = turbo::Decoder::new(source, coefficient_cap).map_err(|e| match e {
        Error::Data(_) if info.scans == 0 && info.complete => corrupt("no image data before the end marker"),
        e => failed(e),
    })?;
    let source_size = (header.width, header.height);
    let exif = d.exif();
    let orientation = exif.as_deref().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let mut icc = d.icc().or_else(|| exif.as_deref().and_then(profile_from_exif));
    // libjpeg undoes YCCK itself; CMYK is converted below.
    let (out_space, channels) = match header.colour_space {
        space::GRAYSCALE => (space::GRAYSCALE, 1),
        space::CMYK | space::YCCK => (space::CMYK, 4),
        _ => (space::RGB, 3),
    };
    let is_cmyk = out_space == space::CMYK;
    let factor = match shrink(source_size, swaps_axes(orientation)) {
        f @ (2 | 4 | 8) => f,
        _ => 1,
    };
    check_held(source_size, held(factor), opts)?;
    let scaled = (source_size.0.div_ceil(factor), source_size.1.div_ceil(factor));
    let samples = scaled.0 as u64 * scaled.1 as u64 * channels;
    let coefficients = if multi_scan { header.coefficient_bytes } else { 0 };
    // A CMYK image is also converted to an RGB copy.
    let converted = if is_cmyk { 3 * scaled.0 as u64 * scaled.1 as u64 } else { 0 };
    admit(samples + converted + coefficients + icc.as_ref().map_or(0, |p| p.len() as u64))?;
    let output = d.start(factor, out_space).map_err(failed)?;
    let mut pixels = vec![0u8; output.size.0 as usize * output.size.1 as usize * output.components];
    d.read(output, &mut pixels).map_err(failed)?;
    if d.truncated() && info.complete {
        pixels = truncated(pixels, opts, &mut warning)?;
    }
    if let Some(why) = d.damage() {
        damaged(&mut warning, why.trim_start_matches("Corrupt JPEG data: "));
    }
    let image = if is_cmyk {
        cmyk_image(pixels, header.adobe != 0, output.size, &mut icc, &mut warning)?
    } else {
        to_image(output.components, output.size, pixels)?
    };
    Ok(Decoded { image, source_size, orientation, icc, format: InFormat::Jpeg, warning })
}

/// A decode that went on past damaged data says so.
fn damaged(warning: &mut Option<String>, why: &str) {
    warn(warning, format!("damaged JPEG data ({}); decoded what was readable", tidy(why)));
}

/// RGB from libjpeg's CMYK samples (YCCK already undone), through the
/// image's own CMYK profile when it has one; that profile is then used up.
fn cmyk_image(
    samples: Vec<u8>,
    adobe: bool,
    size: (u32, u32),
    icc: &mut Option<Vec<u8>>,
    warning: &mut Option<String>,
) -> Result<DynamicImage, FileError> {
    let ink = cmyk_ink(samples, adobe);
    let rgb = match icc.take().as_deref().and_then(cmyk_profile) {
        Some(profile) => cmyk_to_srgb(&profile, &ink).unwrap_or_else(|why| {
            warn(warning, format!("{why}; CMYK converted without it"));
            plain_cmyk_to_rgb(&ink)
        }),
        None => plain_cmyk_to_rgb(&ink),
    };
    to_image(3, size, rgb)
}

/// Ink amounts (0 = none) from a CMYK JPEG's samples as libjpeg gives them
/// (YCCK already undone): Adobe files store every sample inverted.
fn cmyk_ink(mut samples: Vec<u8>, adobe: bool) -> Vec<u8> {
    if adobe {
        samples.iter_mut().for_each(|s| *s = 255 - *s);
    }
    samples
}

/// RGB from inks without a profile: each ink's share of light times black's.
fn plain_cmyk_to_rgb(ink: &[u8]) -> Vec<u8> {
    ink.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]].map(|c| blinn(255 - c, 255 - p[3]))).collect()
}

/// `a × b / 255`, rounded: how much light two inks let through.
fn blinn(a: u8, b: u8) -> u8 {
    let t = a as u32 * b as u32 + 128;
    ((t + (t >> 8)) >> 8) as u8
}

/// 8-bit grey or RGB pixels into an image.
fn to_image(channels: usize, size: (u32, u32), pixels: Vec<u8>) -> Result<DynamicImage, FileError> {
    let short = || corrupt("short pixel data");
    Ok(match channels {
        1 => DynamicImage::ImageLuma8(image::GrayImage::from_raw(size.0, size.1, pixels).ok_or_else(short)?),
        _ => DynamicImage::ImageRgb8(image::RgbImage::from_raw(size.0, size.1, pixels).ok_or_else(short)?),
    })
}

/// jpeg-decoder reads multi-scan sequential files correctly where zune-jpeg
/// (the decoder inside `image`) does not, and decodes at 1/4 or 1/8 scale in the DCT domain
/// (shrink-on-load) when `shrink` allows it.
fn with_jpeg_decoder(
    bytes: &[u8],
    info: &JpegInfo,
    opts: &DecodeOptions,
    mut warning: Option<String>,
    admit: &mut Admit<'_>,
    shrink: &Shrink<'_>,
) -> Result<Decoded, FileError> {
    use jpeg_decoder::PixelFormat;
    // The probe is decoded directly; the file itself only if that fails.
    let mut d = jpeg_decoder::Decoder::new(Probe::new(bytes, info));
    d.read_info().map_err(corrupt)?;
    let header = d.info().ok_or(FileError::Truncated(NAME))?;
    let source_size = (header.width as u32, header.height as u32);
    check_pixels(source_size, opts)?;
    let orientation = d.exif_data().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let factor = shrink(source_size, swaps_axes(orientation));
    let scaled = (factor >= MIN_USEFUL_SHRINK)
        .then(|| (header.width.div_ceil(factor as u16), header.height.div_ceil(factor as u16)));
    let full = source_size.0 as u64 * source_size.1 as u64;
    let size = match scaled {
        Some((w, h)) => {
            let (w, h) = d.scale(w, h).map_err(corrupt)?;
            (w as u32, h as u32)
        }
        None => source_size,
    };
    let output = size.0 as u64 * size.1 as u64 * header.pixel_format.pixel_bytes() as u64;
    // Component planes plus the interleaved output; a progressive file also
    // keeps every coefficient (i16) of the full-size image until its last scan.
    let coefficients = if header.coding_process == jpeg_decoder::CodingProcess::DctProgressive { 6 * full } else { 0 };
    let icc = d.icc_profile().or_else(|| d.exif_data().and_then(profile_from_exif));
    admit(2 * output + coefficients + icc.as_ref().map_or(0, |p| p.len() as u64))?;
    let pixels = match d.decode().map_err(corrupt) {
        Ok(p) => p,
        Err(e) => {
            let mut plain = jpeg_decoder::Decoder::new(Cursor::new(bytes));
            if let Some((w, h)) = scaled {
                plain.read_info().map_err(corrupt)?;
                plain.scale(w, h).map_err(corrupt)?;
            }
            // It decodes without the 1-bits only if it read into them.
            truncated(plain.decode().map_err(|_| e)?, opts, &mut warning)?
        }
    };
    let image = match header.pixel_format {
        PixelFormat::L8 => to_image(1, size, pixels)?,
        // Big-endian samples: the high byte is the 8-bit value.
        PixelFormat::L16 => to_image(1, size, pixels.chunks_exact(2).map(|p| p[0]).collect())?,
        PixelFormat::RGB24 => to_image(3, size, pixels)?,
        PixelFormat::CMYK32 => return Err(FileError::Unsupported("CMYK JPEG with one scan per component".into())),
    };
    Ok(Decoded { image, source_size, orientation, icc, format: InFormat::Jpeg, warning })
}

/// JPEG: libjpeg-turbo when it shrinks on load (read from the open file),
/// libjpeg-turbo-rs at full size, jpeg-decoder for what neither takes.
pub struct Jpeg;

impl super::Decoder for Jpeg {
    fn header(&self, bytes: &[u8], opts: &DecodeOptions) -> Result<super::Header, FileError> {
        super::image_rs::header(bytes, image::ImageFormat::Jpeg, InFormat::Jpeg, opts)
    }

    fn decode(&self, bytes: &[u8], req: &mut super::Request<'_>) -> Result<Decoded, FileError> {
        decode(bytes, req.opts, req.admit, req.shrink)
    }

    #[cfg(feature = "jpeg-turbo")]
    fn decode_file(
        &self,
        input: &Input,
        head: &[u8],
        req: &mut super::Request<'_>,
    ) -> Result<Option<Decoded>, FileError> {
        decode_file(input, head, req.opts, req.admit, req.shrink)
    }

    fn metadata_within(&self, head: &[u8]) -> Option<usize> {
        // Every APPn segment comes before the first scan.
        jpeg::scan(head).first_scan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CMYK picture of ink ramps, encoded as `color` (CMYK or YCCK) by
    /// jpeg-encoder, which writes Adobe's inverted samples and APP14.
    fn cmyk_jpeg(color: jpeg_encoder::ColorType) -> (Vec<u8>, Vec<u8>) {
        let (w, h) = (32u16, 16u16);
        let ink: Vec<u8> = (0..w as u32 * h as u32)
            .flat_map(|i| [(i * 7) as u8, (i * 3) as u8, 200 - (i % 200) as u8, (i / 4) as u8])
            .collect();
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 100).encode(&ink, w, h, color).unwrap();
        (out, ink)
    }

    fn opts() -> DecodeOptions {
        DecodeOptions { max_pixels: 1 << 20, allow_truncated: false, raw: super::super::RawMode::Preview }
    }

    /// CMYK and YCCK (Adobe's inverted samples) both come back as the ink
    /// that was encoded, and the full-size decode turns it into RGB.
    #[test]
    fn cmyk_and_ycck_decode_to_the_ink_that_was_encoded() {
        for color in [jpeg_encoder::ColorType::Cmyk, jpeg_encoder::ColorType::CmykAsYcck] {
            let (jpeg, encoded) = cmyk_jpeg(color);
            let info = jpeg::scan(&jpeg);
            assert!(info.adobe, "{color:?}: no APP14");
            let mut d = libjpeg_turbo_rs::Decoder::new(&jpeg).unwrap();
            let ycck = d.jpeg_color_space() == libjpeg_turbo_rs::ColorSpace::Ycck;
            assert_eq!(ycck, matches!(color, jpeg_encoder::ColorType::CmykAsYcck));
            d.set_output_format(libjpeg_turbo_rs::PixelFormat::Cmyk);
            let ink = cmyk_ink(d.decode_image().unwrap().data, info.adobe);
            let mean = ink.iter().zip(&encoded).map(|(a, b)| a.abs_diff(*b) as f64).sum::<f64>() / ink.len() as f64;
            assert!(mean < 3.0, "{color:?}: mean {mean} levels from the encoded ink");
            let rgb = decode(&jpeg, &opts(), &mut |_| Ok(()), &|_, _| 1).unwrap().image.to_rgb8();
            let plain = plain_cmyk_to_rgb(&encoded);
            let worst = rgb.as_raw().iter().zip(&plain).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
            assert!(worst <= 12, "{color:?}: {worst} levels from the encoded ink's RGB");
        }
    }

    /// The full-size decoder (libjpeg-turbo-rs, with SIMD) gives libjpeg-turbo's
    /// own pixels (C, built without SIMD), baseline and progressive, 4:2:0
    /// and 4:4:4: the SIMD changes the speed, not the picture.
    #[cfg(feature = "jpeg-turbo")]
    #[test]
    fn full_size_decodes_are_libjpeg_turbos_pixels() {
        let (w, h) = (203u16, 117u16);
        let rgb: Vec<u8> = (0..h as u32)
            .flat_map(|y| {
                (0..w as u32).flat_map(move |x| [(x * 7 + y) as u8, ((y * 5) ^ x) as u8, ((x * y) >> 3) as u8])
            })
            .collect();
        for (progressive, sampling) in [
            (false, jpeg_encoder::SamplingFactor::R_4_2_0),
            (true, jpeg_encoder::SamplingFactor::R_4_2_0),
            (true, jpeg_encoder::SamplingFactor::R_4_4_4),
        ] {
            let mut bytes = Vec::new();
            let mut enc = jpeg_encoder::Encoder::new(&mut bytes, 85);
            enc.set_progressive(progressive);
            enc.set_sampling_factor(sampling);
            enc.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
            let ours = decode(&bytes, &opts(), &mut |_| Ok(()), &|_, _| 1).unwrap();
            assert_eq!(ours.source_size, (w as u32, h as u32));
            let (mut d, _) = turbo::Decoder::new(turbo::Source::Bytes(&bytes), u64::MAX).unwrap();
            let out = d.start(1, turbo::space::RGB).unwrap();
            let mut theirs = vec![0u8; out.size.0 as usize * out.size.1 as usize * out.components];
            d.read(out, &mut theirs).unwrap();
            assert!(ours.image.to_rgb8().as_raw() == &theirs, "progressive {progressive}, {sampling:?}");
        }
    }

    /// libjpeg-turbo's DCT-scaled decode: the size rounds up as libjpeg's
    /// does, and each pixel is about the mean of the block it stands for.
    #[cfg(feature = "jpeg-turbo")]
    #[test]
    fn scaled_decodes_are_block_means_at_the_scaled_size() {
        let (w, h) = (68u16, 48u16);
        let rgb: Vec<u8> =
            (0..h).flat_map(|y| (0..w).flat_map(move |x| [(x * 3) as u8, (y * 5) as u8, (x + y) as u8])).collect();
        let mut bytes = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut bytes, 100);
        enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_4_4);
        enc.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
        for f in [2u32, 4, 8] {
            let d = decode(&bytes, &opts(), &mut |_| Ok(()), &|_, _| f).unwrap();
            assert_eq!(d.source_size, (68, 48));
            let img = d.image.to_rgb8();
            assert_eq!(img.dimensions(), (68u32.div_ceil(f), 48 / f), "1/{f}");
            // Whole blocks only (the last column of 68/8 is part padding).
            for (x, y, p) in img.enumerate_pixels().filter(|(x, _, _)| (x + 1) * f <= 68) {
                for c in 0..3 {
                    let block = (0..f).flat_map(|dy| (0..f).map(move |dx| (x * f + dx, y * f + dy)));
                    let sum: u32 = block.map(|(sx, sy)| rgb[((sy * 68 + sx) * 3 + c as u32) as usize] as u32).sum();
                    let mean = sum as f32 / (f * f) as f32;
                    assert!((p[c] as f32 - mean).abs() <= 3.0, "1/{f} at {x},{y}[{c}]: {} against {mean}", p[c]);
                }
            }
        }
    }
}
