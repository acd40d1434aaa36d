//! The formats the `image` crate decodes for us whole (WebP, BMP, PNM, and
//! the shared part of TIFF, PNG, GIF and a JPEG's header): its decoder behind our
//! limits, with its errors told apart (see classify.rs).

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::{Decoded, Decoder, Header, Request, check_pixels, classify, decoder_peak};
use crate::error::FileError;
use crate::format::InFormat;

/// A format decoded by `image` as it is.
pub(crate) struct ImageRs {
    /// `image`'s name for it.
    pub format: ImageFormat,
    /// Ours.
    pub ours: InFormat,
}

impl Decoder for ImageRs {
    fn header(&self, bytes: &[u8], opts: &super::DecodeOptions) -> Result<Header, FileError> {
        header(bytes, self.format, self.ours, opts)
    }

    fn decode(&self, bytes: &[u8], req: &mut Request<'_>) -> Result<Decoded, FileError> {
        decode(bytes, self.format, self.ours, req, None)
    }
}

fn limits(opts: &super::DecodeOptions) -> Limits {
    let mut l = Limits::default();
    l.max_alloc = Some(super::max_alloc(opts));
    l
}

/// Size and orientation from the header.
pub fn header(
    bytes: &[u8],
    format: ImageFormat,
    ours: InFormat,
    opts: &super::DecodeOptions,
) -> Result<Header, FileError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits(opts));
    let mut dec = reader.into_decoder().map_err(|e| classify::image_error(e, ours, bytes))?;
    let size = dec.dimensions();
    check_pixels(size, opts)?;
    let orientation = dec.orientation().unwrap_or(Orientation::NoTransforms);
    Ok(Header { size, orientation })
}

/// The whole image, 8-bit or deeper as stored; `warning` is what the caller
/// already has to say.
pub fn decode(
    bytes: &[u8],
    format: ImageFormat,
    ours: InFormat,
    req: &mut Request<'_>,
    warning: Option<String>,
) -> Result<Decoded, FileError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = limits(req.opts);
    reader.limits(limits.clone());
    let mut dec = reader.into_decoder().map_err(|e| classify::image_error(e, ours, bytes))?;
    check_pixels(dec.dimensions(), req.opts)?;
    // `into_decoder()` skips the allocation check that `decode()` makes; a
    // 186-byte JPEG declaring 65535x65535 would otherwise allocate 4 GB.
    limits.reserve(dec.total_bytes()).map_err(|_| FileError::DecoderLimit {
        needed_mib: dec.total_bytes() >> 20,
        limit_mib: limits.max_alloc.unwrap_or(0) >> 20,
    })?;
    // Damaged metadata must not block the pixels: treat it as absent.
    let orientation = dec.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = dec.icc_profile().ok().flatten();
    let icc_len = icc.as_ref().map_or(0, |p| p.len() as u64);
    (req.admit)(decoder_peak(dec.total_bytes(), dec.color_type(), false) + icc_len)?;
    let image = DynamicImage::from_decoder(dec).map_err(|e| classify::image_error(e, ours, bytes))?;
    let source_size = (image.width(), image.height());
    Ok(Decoded { image, source_size, orientation, icc, format: ours, warning })
}
