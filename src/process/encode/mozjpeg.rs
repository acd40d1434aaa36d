//! JPEG by mozjpeg's compressor (C, through mozjpeg.c): trellis
//! quantisation for the smallest file at a quality, at about eight times
//! jpeg-encoder's time. Used where bytes are what was asked for
//! (`--target`, `--max-size`).

use std::ffi::{CStr, c_char, c_int, c_uint, c_ulong};

use image::DynamicImage;

use super::Encoder;
use crate::error::EncodeError;
use crate::job::{EncodeOptions, Subsampling};
use crate::process::metadata::Blocks;

unsafe extern "C" {
    #[allow(clippy::too_many_arguments)]
    fn imgb_mozjpeg_encode(
        pixels: *const u8,
        width: c_uint,
        height: c_uint,
        components: c_int,
        quality: c_int,
        h_samp: c_int,
        v_samp: c_int,
        progressive: c_int,
        icc: *const u8,
        icc_len: c_uint,
        out: *mut *mut u8,
        out_len: *mut c_ulong,
        message: *mut c_char,
        message_len: usize,
    ) -> c_int;
    fn imgb_enc_free(p: *mut u8);
}

/// JPEG's smallest-file encoder.
pub(super) struct Mozjpeg;

impl Encoder for Mozjpeg {
    fn encode(
        &self,
        img: &DynamicImage,
        opts: &EncodeOptions,
        icc: Option<&[u8]>,
        _: &Blocks,
    ) -> Result<Vec<u8>, EncodeError> {
        let super::jpeg::Rows { data, width, height, grey } = super::jpeg::rows(img)?;
        let (w, h) = (width as c_uint, height as c_uint);
        let components = if grey { 1 } else { 3 };
        let (hs, vs) = match opts.subsampling {
            Subsampling::S420 => (2, 2),
            Subsampling::S422 => (2, 1),
            Subsampling::S444 => (1, 1),
        };
        let icc = icc.unwrap_or(&[]);
        let icc_len = c_uint::try_from(icc.len()).map_err(|_| EncodeError::codec("ICC profile over 4 GiB"))?;
        let mut out: *mut u8 = std::ptr::null_mut();
        let mut len: c_ulong = 0;
        let mut message = [0 as c_char; 200];
        // SAFETY: `data` holds h rows of w × components bytes (checked by the
        // image types); `icc` is readable for icc_len bytes; the C side writes
        // only `out`, `len` and at most message.len() bytes of `message`.
        let rc = unsafe {
            imgb_mozjpeg_encode(
                data.as_ptr(),
                w,
                h,
                components,
                opts.quality as c_int,
                hs,
                vs,
                opts.progressive as c_int,
                icc.as_ptr(),
                icc_len,
                &mut out,
                &mut len,
                message.as_mut_ptr(),
                message.len(),
            )
        };
        if rc != 0 {
            // SAFETY: the C side wrote a NUL-terminated message (snprintf).
            let why = unsafe { CStr::from_ptr(message.as_ptr()) }.to_string_lossy().into_owned();
            return Err(EncodeError::codec(why));
        }
        // SAFETY: on success `out` holds `len` bytes malloc'd by libjpeg's
        // memory destination, copied here and then freed once.
        let bytes = unsafe { std::slice::from_raw_parts(out, len as usize) }.to_vec();
        // SAFETY: `out` came from the C side's malloc and is not used again.
        unsafe { imgb_enc_free(out) };
        Ok(bytes)
    }
}
