//! One AV1 still picture (an AVIF item) to planes, by rav1d: dav1d ported to
//! Rust, built without its assembly so that a plain `cargo build` (no NASM)
//! makes it. rav1d offers only dav1d's C interface, so the unsafe calls are
//! all here, each checked, and the context and picture are released by
//! guards whatever happens.

use std::ptr::NonNull;

use heic_rs::ChromaFormat;
use heic_rs::hevc::Frame;
use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dSettings};
use rav1d::include::dav1d::headers::{
    DAV1D_PIXEL_LAYOUT_I400, DAV1D_PIXEL_LAYOUT_I420, DAV1D_PIXEL_LAYOUT_I422, DAV1D_PIXEL_LAYOUT_I444,
};
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib as dav1d;

/// Why an AV1 item gave no picture.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Av1Error {
    #[error("AV1 decoder error {0}")]
    Decoder(i32),
    #[error("the AV1 data holds no picture")]
    NoPicture,
    #[error("AV1 picture of an unsupported layout or depth")]
    Layout,
}

/// A coded picture's own colour description: ISO/IEC 23091-2 (H.273)
/// code points and the sample range, as AV1's sequence header and HEVC's
/// VUI give them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cicp {
    pub primaries: u16,
    pub transfer: u16,
    pub matrix: u16,
    pub full_range: bool,
}

/// dav1d's "call again": more data or another call is needed.
const AGAIN: i32 = -libc::EAGAIN;

/// The decoder context, closed on drop.
struct Ctx(Option<Dav1dContext>);

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: the pointer is to our own Option, which dav1d_close sets to None.
        unsafe { dav1d::dav1d_close(NonNull::new(&mut self.0)) }
    }
}

/// A decoded picture, released on drop.
struct Picture(Dav1dPicture);

impl Drop for Picture {
    // rav1d 1.1's unref writes a default picture back, whose fresh empty
    // ITU-T T.35 list (48 bytes) nothing frees: LeakSanitizer reports it
    // once per AVIF. Not calling it would leak the planes instead.
    fn drop(&mut self) {
        // SAFETY: a picture dav1d_get_picture filled (or a default one, which it ignores).
        unsafe { dav1d::dav1d_picture_unref(NonNull::new(&mut self.0)) }
    }
}

/// Decodes `data` (an AV1 item's OBUs) on this thread alone, refusing a
/// frame larger than `max_pixels`. Returns the planes and the colour the
/// sequence header describes.
pub(crate) fn decode(data: &[u8], max_pixels: u64) -> Result<(Frame, Cicp), Av1Error> {
    let ok = |r: i32| if r == 0 { Ok(()) } else { Err(Av1Error::Decoder(r)) };
    // SAFETY: every pointer passed is to a live local; dav1d's calls are
    // made in the order its API documents; the picture's planes are read
    // within the sizes it reports (see `plane`).
    unsafe {
        // SAFETY: Dav1dSettings is a plain C struct that dav1d_default_settings fills.
        let mut settings: Dav1dSettings = std::mem::zeroed();
        dav1d::dav1d_default_settings(NonNull::from(&mut settings));
        // One image, one worker: no threads of dav1d's own.
        settings.n_threads = 1;
        settings.max_frame_delay = 1;
        settings.all_layers = 0;
        settings.frame_size_limit = max_pixels.min(u32::MAX as u64) as u32;
        let mut ctx = Ctx(None);
        ok(dav1d::dav1d_open(NonNull::new(&mut ctx.0), NonNull::new(&mut settings)).0)?;

        let mut buf = Dav1dData::default();
        let at = dav1d::dav1d_data_create(NonNull::new(&mut buf), data.len());
        if at.is_null() {
            return Err(Av1Error::NoPicture);
        }
        std::ptr::copy_nonoverlapping(data.as_ptr(), at, data.len());
        let mut pic = Picture(Dav1dPicture::default());
        // Every call either takes data or gives a picture, so a valid
        // stream ends well within this many; a bad one cannot spin here.
        let mut got = AGAIN;
        for _ in 0..=data.len() + 2 {
            if buf.sz > 0 {
                let r = dav1d::dav1d_send_data(ctx.0, NonNull::new(&mut buf)).0;
                if r != 0 && r != AGAIN {
                    dav1d::dav1d_data_unref(NonNull::new(&mut buf));
                    return Err(Av1Error::Decoder(r));
                }
            }
            got = dav1d::dav1d_get_picture(ctx.0, NonNull::new(&mut pic.0)).0;
            if got != AGAIN || buf.sz == 0 {
                break;
            }
        }
        dav1d::dav1d_data_unref(NonNull::new(&mut buf));
        match got {
            0 => {}
            AGAIN => return Err(Av1Error::NoPicture),
            r => return Err(Av1Error::Decoder(r)),
        }
        frame(&pic.0)
    }
}

/// Copies a decoded picture's planes into heic-rs's frame (16 bits a
/// sample, whatever the depth), with its colour description.
///
/// # Safety
/// `pic` is a picture dav1d_get_picture returned and has not released.
unsafe fn frame(pic: &Dav1dPicture) -> Result<(Frame, Cicp), Av1Error> {
    let (w, h, bpc) = (pic.p.w, pic.p.h, pic.p.bpc);
    if w <= 0 || h <= 0 || !(8..=12).contains(&bpc) {
        return Err(Av1Error::Layout);
    }
    let (w, h) = (w as usize, h as usize);
    let (chroma, cw, ch) = match pic.p.layout {
        DAV1D_PIXEL_LAYOUT_I400 => (ChromaFormat::Monochrome, 0, 0),
        DAV1D_PIXEL_LAYOUT_I420 => (ChromaFormat::Yuv420, w.div_ceil(2), h.div_ceil(2)),
        DAV1D_PIXEL_LAYOUT_I422 => (ChromaFormat::Yuv422, w.div_ceil(2), h),
        DAV1D_PIXEL_LAYOUT_I444 => (ChromaFormat::Yuv444, w, h),
        _ => return Err(Av1Error::Layout),
    };
    let plane = |i: usize, pw: usize, ph: usize| -> Result<Vec<u16>, Av1Error> {
        let stride = pic.stride[i.min(1)];
        let base = pic.data[i].ok_or(Av1Error::Layout)?.as_ptr() as *const u8;
        let mut out = Vec::with_capacity(pw * ph);
        for y in 0..ph {
            // SAFETY: dav1d allocates `ph` rows of `stride` bytes, each holding
            // `pw` samples of one byte (8 bits) or two (more).
            let row = unsafe { base.offset(stride * y as isize) };
            if bpc > 8 {
                out.extend_from_slice(unsafe { std::slice::from_raw_parts(row as *const u16, pw) });
            } else {
                out.extend(unsafe { std::slice::from_raw_parts(row, pw) }.iter().map(|&s| s as u16));
            }
        }
        Ok(out)
    };
    let y = plane(0, w, h)?;
    let (cb, cr) = if cw > 0 { (plane(1, cw, ch)?, plane(2, cw, ch)?) } else { (Vec::new(), Vec::new()) };
    // SAFETY: a returned picture points at its live sequence header.
    let seq = unsafe { pic.seq_hdr.ok_or(Av1Error::Layout)?.as_ref() };
    let cicp = Cicp {
        primaries: seq.pri as u16,
        transfer: seq.trc as u16,
        matrix: seq.mtrx as u16,
        full_range: seq.color_range != 0,
    };
    let frame = Frame {
        width: w as u32,
        height: h as u32,
        bit_depth: bpc as u8,
        chroma,
        y,
        cb,
        cr,
        y_stride: w as u32,
        c_stride: cw as u32,
    };
    Ok((frame, cicp))
}
