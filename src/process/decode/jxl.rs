//! JPEG XL input through jxl-oxide (pure Rust): the first keyframe of a
//! still or animated image, turned by the orientation in the JXL header
//! (jxl-oxide applies it), with its ICC profile.

use image::metadata::Orientation;
use image::{DynamicImage, GrayAlphaImage, GrayImage, RgbImage, RgbaImage};
use jxl_oxide::{AllocTracker, InitializeResult, JxlImage, JxlThreadPool, PixelFormat};

use super::{DecodeOptions, Decoded, Header, InFormat, MAX_ICC, check_pixels};
use crate::error::FileError;
use crate::units::human_bytes;

const NAME: &str = "JPEG XL";

/// Frames a file may hold before its first picture: the layers and
/// reference frames that picture is made of, a few in real files. jxl-oxide
/// links each frame to the ones before it and drops the chain recursively,
/// so thousands of them (zeros read as empty frames: a 1 MiB file holds
/// 175,000) overflow a worker's stack and abort the whole run.
const MAX_FRAMES_BEFORE_PICTURE: usize = 256;

/// Bytes handed to jxl-oxide at a time: one feed adds at most a few hundred
/// frames beyond the limit above.
const FEED: usize = 1024;

fn corrupt(e: &(dyn std::error::Error + 'static)) -> FileError {
    if super::classify::ran_out(e) {
        return FileError::Truncated(NAME);
    }
    FileError::Corrupt { format: NAME, detail: super::classify::tidy(&e.to_string()) }
}

/// The encoded size of the embedded ICC profile, from the image header
/// alone (`None` without one, or when the header does not parse here and
/// jxl-oxide is left to say why).
fn declared_icc_len(bytes: &[u8]) -> Option<u64> {
    use jxl_bitstream::{Bitstream, ContainerParser, ParseEvent};
    use jxl_oxide_common::Bundle;
    // The image header and the ICC size come first; a few KB hold them.
    let head = &bytes[..bytes.len().min(64 << 10)];
    let mut codestream = Vec::new();
    let mut parser = ContainerParser::new();
    for event in parser.feed_bytes(head) {
        if let ParseEvent::Codestream(b) = event.ok()? {
            codestream.extend_from_slice(b);
        }
    }
    let mut bits = Bitstream::new(&codestream);
    let header = jxl_image::ImageHeader::parse(&mut bits, ()).ok()?;
    if !header.metadata.colour_encoding.want_icc() {
        return None;
    }
    bits.read_u64().ok()
}

/// Parses the header (and ICC profile). One image, one worker: jxl-oxide's
/// own thread pool stays off, and its allocations are capped. A profile whose
/// encoded size is past the cap is refused before jxl-oxide decodes it (its
/// encoded form is about its own size; 64 KiB of slack for the command stream).
fn open(bytes: &[u8], opts: &DecodeOptions) -> Result<JxlImage, FileError> {
    if let Some(len) = declared_icc_len(bytes).filter(|&n| n > (MAX_ICC + (64 << 10)) as u64) {
        let detail = format!("its ICC profile declares {} (over the {} MiB cap)", human_bytes(len), MAX_ICC >> 20);
        return Err(FileError::Corrupt { format: NAME, detail });
    }
    let mut uninit = JxlImage::builder()
        .pool(JxlThreadPool::none())
        .alloc_tracker(AllocTracker::with_limit(super::max_alloc(opts) as usize))
        .build_uninit();
    // Fed a little at a time, as jxl-oxide's own reader does, but only up to
    // the first picture: the frames after it are never used.
    let (mut fed, mut offered) = (0, 0);
    let mut offer = |feed: &mut dyn FnMut(&[u8]) -> jxl_oxide::Result<usize>| -> Result<bool, FileError> {
        // Like jxl-oxide's reader: once the end has been offered, bytes
        // the parser left (a box cut short) stay unread.
        if offered == bytes.len() {
            return Ok(false);
        }
        offered = (offered + FEED).min(bytes.len());
        fed += feed(&bytes[fed..offered]).map_err(|e| corrupt(&*e))?;
        Ok(true)
    };
    let mut image = loop {
        if !offer(&mut |b| uninit.feed_bytes(b))? {
            return Err(FileError::Truncated(NAME));
        }
        match uninit.try_init().map_err(|e| corrupt(&*e))? {
            InitializeResult::NeedMoreData(u) => uninit = u,
            InitializeResult::Initialized(i) => break i,
        }
    };
    while image.num_loaded_keyframes() == 0 && !image.is_loading_done() {
        if image.num_loaded_frames() > MAX_FRAMES_BEFORE_PICTURE {
            return Err(FileError::Unsupported(format!(
                "{NAME} with more than {MAX_FRAMES_BEFORE_PICTURE} frames before its first picture"
            )));
        }
        if !offer(&mut |b| image.feed_bytes(b))? {
            break;
        }
    }
    Ok(image)
}

/// Displayed size (orientation applied); nothing left to turn.
pub fn header(bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError> {
    let image = open(bytes, opts)?;
    let size = (image.width(), image.height());
    check_pixels(size, opts)?;
    Ok(Header { size, orientation: Orientation::NoTransforms })
}

/// Decodes the first keyframe to 8 bits per channel.
pub fn decode(bytes: &[u8], opts: &DecodeOptions, admit: &mut super::super::Admit<'_>) -> Result<Decoded, FileError> {
    let image = open(bytes, opts)?;
    let size = (image.width(), image.height());
    check_pixels(size, opts)?;
    if image.num_loaded_keyframes() == 0 {
        return Err(FileError::Truncated(NAME));
    }
    let format = image.pixel_format();
    let channels = format.channels() as u64;
    let pixels = size.0 as u64 * size.1 as u64;
    // jxl-oxide renders into f32 planes (one per channel, plus a frame
    // buffer of the same size) before our 8-bit copy.
    admit(pixels * channels * (4 + 4 + 1))?;
    let render = image.render_frame(0).map_err(|e| corrupt(&*e))?;
    let mut stream = render.stream();
    let out_channels = stream.channels() as usize;
    let mut buf = vec![0u8; pixels as usize * out_channels];
    stream.write_to_buffer(&mut buf);
    let (w, h) = (stream.width(), stream.height());
    let bad = || FileError::Corrupt { format: NAME, detail: "short pixel data".into() };
    let image_out = match (format, out_channels) {
        (PixelFormat::Gray, 1) => DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, buf).ok_or_else(bad)?),
        (PixelFormat::Graya, 2) => DynamicImage::ImageLumaA8(GrayAlphaImage::from_raw(w, h, buf).ok_or_else(bad)?),
        (PixelFormat::Rgb, 3) => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, buf).ok_or_else(bad)?),
        (PixelFormat::Rgba, 4) => DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, buf).ok_or_else(bad)?),
        _ => return Err(FileError::Unsupported(format!("{NAME} with {out_channels} channels ({format:?})"))),
    };
    // Pixels come out in the image's own colour space: its embedded profile,
    // or one made from its enumerated encoding unless that is plain sRGB.
    let srgb = image.rendered_cicp().is_some_and(|c| c[0] == 1 && c[1] == 13);
    let icc = match image.original_icc() {
        Some(p) => Some(p.to_vec()),
        None if srgb || format.is_grayscale() => None,
        None => Some(image.rendered_icc()),
    };
    Ok(Decoded {
        image: image_out,
        source_size: size,
        orientation: Orientation::NoTransforms,
        icc,
        format: InFormat::Jxl,
        warning: None,
    })
}

/// JPEG XL, by jxl-oxide (pure Rust), its own thread pool off.
pub(crate) struct Jxl;

impl super::Decoder for Jxl {
    fn header(&self, bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError> {
        header(bytes, opts)
    }

    fn decode(&self, bytes: &[u8], req: &mut super::Request<'_>) -> Result<Decoded, FileError> {
        decode(bytes, req.opts, req.admit)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats/jxl").join(name)).unwrap()
    }

    /// A file in the container format cut anywhere, box headers included,
    /// fails as truncated: bytes the container parser cannot use yet are not
    /// offered again and again (the fuzzer found that loop).
    #[test]
    fn a_container_file_cut_anywhere_is_truncated() {
        let whole = fixture("rotated.jxl");
        assert_eq!(&whole[4..8], b"JXL ", "not the container format");
        let opts = DecodeOptions { max_pixels: 1 << 20, allow_truncated: false, raw: super::super::RawMode::Preview };
        for cut in (1..80).chain((80..whole.len()).step_by(61)) {
            let result = decode(&whole[..cut], &opts, &mut |_| Ok(()));
            assert!(
                matches!(result, Err(FileError::Truncated(_))),
                "cut at {cut}: {:?}",
                result.map(|d| d.source_size)
            );
        }
        assert!(decode(&whole, &opts, &mut |_| Ok(())).is_ok());
    }

    #[test]
    fn the_declared_icc_size_is_read_from_the_header() {
        // icc.jxl embeds a 588-byte profile; logo-alpha.jxl is enumerated sRGB.
        let with_icc = fixture("icc.jxl");
        let image = JxlImage::builder().read(Cursor::new(&with_icc)).unwrap();
        assert_eq!(image.original_icc().map(<[u8]>::len), Some(588));
        let declared = declared_icc_len(&with_icc).expect("an ICC size");
        assert!((1..=588 + 65536).contains(&declared), "{declared}");
        assert_eq!(declared_icc_len(&fixture("logo-alpha.jxl")), None);
    }
}
