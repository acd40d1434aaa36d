//! libjpeg-turbo's decoder (mozjpeg-sys's build of it) through the C shim in
//! turbo.c, which turns libjpeg's fatal errors into return codes (setjmp in
//! C, so no jump or unwind ever crosses a Rust frame) and sorts its
//! warnings into "data ran out" and "data damaged".

// The library the C shim calls; nothing in Rust names it, so say it is used.
use mozjpeg_sys as _;
use std::ffi::{CStr, c_char, c_int, c_long, c_uint, c_ulong};
use std::marker::PhantomData;

#[repr(C)]
struct Raw {
    _private: [u8; 0],
}

/// The frame header, as the C side fills it.
#[repr(C)]
#[derive(Default, Debug, Clone, Copy)]
pub struct Info {
    /// Stored width.
    pub width: c_uint,
    /// Stored height.
    pub height: c_uint,
    /// Colour components (1, 3 or 4).
    pub components: c_int,
    /// libjpeg's J_COLOR_SPACE of the stored data.
    pub colour_space: c_int,
    /// Non-zero for a progressive file.
    pub progressive: c_int,
    /// Non-zero when an Adobe APP14 marker says how the components are coded.
    pub adobe: c_int,
    /// Bytes of DCT coefficients in the whole image, which libjpeg holds
    /// for a progressive or multi-scan file.
    pub coefficient_bytes: u64,
}

/// libjpeg's J_COLOR_SPACE values used here (jpeglib.h).
#[allow(missing_docs)]
pub mod space {
    pub(crate) const GRAYSCALE: i32 = 1;
    pub const RGB: i32 = 2;
    pub const CMYK: i32 = 4;
    pub(crate) const YCCK: i32 = 5;
}

unsafe extern "C" {
    fn imgb_jpeg_new() -> *mut Raw;
    fn imgb_jpeg_free(h: *mut Raw);
    fn imgb_jpeg_message(h: *const Raw) -> *const c_char;
    fn imgb_jpeg_damage(h: *const Raw) -> *const c_char;
    fn imgb_jpeg_truncated(h: *const Raw) -> c_int;
    fn imgb_jpeg_header(h: *mut Raw, data: *const u8, len: c_ulong, max_memory: c_long, info: *mut Info) -> c_int;
    fn imgb_jpeg_header_fd(h: *mut Raw, fd: c_int, len: u64, max_memory: c_long, info: *mut Info) -> c_int;
    fn imgb_jpeg_read_errno(h: *const Raw) -> c_int;
    fn imgb_jpeg_icc(h: *const Raw, len: *mut c_uint) -> *const u8;
    fn imgb_jpeg_exif(h: *const Raw, len: *mut c_uint) -> *const u8;
    fn imgb_jpeg_start(
        h: *mut Raw,
        denom: c_uint,
        out_colour_space: c_int,
        width: *mut c_uint,
        height: *mut c_uint,
        components: *mut c_int,
    ) -> c_int;
    fn imgb_jpeg_read(h: *mut Raw, out: *mut u8, stride: usize) -> c_int;
}

/// One decode of the bytes it borrows (libjpeg reads them in place), or of
/// an open file it borrows (libjpeg reads it 64 KiB at a time).
pub struct Decoder<'a> {
    raw: *mut Raw,
    _data: PhantomData<&'a [u8]>,
}

/// Where libjpeg reads from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// A file held in memory.
    Bytes(&'a [u8]),
    /// The first `len` bytes of an open file.
    File(&'a std::fs::File, u64),
}

/// Why libjpeg stopped.
#[derive(Debug)]
pub enum Error {
    /// What libjpeg says about the data.
    Data(String),
    /// The file it was reading could not be read.
    Read(std::io::Error),
}

/// How the output will come: its size and bytes per pixel.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Width and height after scaling.
    pub size: (u32, u32),
    /// Bytes per pixel.
    pub components: usize,
}

impl Drop for Decoder<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from imgb_jpeg_new and is freed once, here.
        unsafe { imgb_jpeg_free(self.raw) }
    }
}

fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the C side hands out NUL-terminated buffers it owns and keeps.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl<'a> Decoder<'a> {
    /// Reads the headers from `source`. libjpeg's big buffers (a progressive
    /// image's coefficients) may take at most `max_memory` bytes.
    pub fn new(source: Source<'a>, max_memory: u64) -> Result<(Self, Info), Error> {
        // SAFETY: plain constructor; NULL only when out of memory.
        let raw = unsafe { imgb_jpeg_new() };
        if raw.is_null() {
            return Err(Error::Data("out of memory".into()));
        }
        let d = Decoder { raw, _data: PhantomData };
        let mut info = Info::default();
        let max = c_long::try_from(max_memory).unwrap_or(c_long::MAX);
        let rc = match source {
            // SAFETY: `data` outlives the decoder (the lifetime 'a), `info` is ours.
            Source::Bytes(data) => unsafe {
                imgb_jpeg_header(raw, data.as_ptr(), data.len() as c_ulong, max, &mut info)
            },
            // SAFETY: the file stays open for 'a, so its descriptor does too.
            Source::File(file, len) => unsafe {
                use std::os::fd::AsRawFd;
                imgb_jpeg_header_fd(raw, file.as_raw_fd(), len, max, &mut info)
            },
        };
        if rc != 0 {
            return Err(d.failure());
        }
        Ok((d, info))
    }

    /// What stopped the decode: a failed read of the file, or the data.
    fn failure(&self) -> Error {
        // SAFETY: `raw` is live.
        match unsafe { imgb_jpeg_read_errno(self.raw) } {
            0 => Error::Data(self.message()),
            errno => Error::Read(std::io::Error::from_raw_os_error(errno)),
        }
    }

    /// The fatal error's text.
    fn message(&self) -> String {
        // SAFETY: `raw` is live.
        text(unsafe { imgb_jpeg_message(self.raw) })
    }

    /// The first damaged-data warning, if any.
    pub fn damage(&self) -> Option<String> {
        // SAFETY: `raw` is live; NULL when there was no damage.
        let p = unsafe { imgb_jpeg_damage(self.raw) };
        (!p.is_null()).then(|| text(p))
    }

    /// Whether the image data ran out (libjpeg filled in the rest).
    pub fn truncated(&self) -> bool {
        // SAFETY: `raw` is live.
        unsafe { imgb_jpeg_truncated(self.raw) != 0 }
    }

    fn segment(&self, get: unsafe extern "C" fn(*const Raw, *mut c_uint) -> *const u8) -> Option<Vec<u8>> {
        let mut len = 0;
        // SAFETY: `raw` is live; the C side returns NULL or `len` readable bytes
        // that stay valid until decoding starts (copied here at once).
        let p = unsafe { get(self.raw, &mut len) };
        (!p.is_null()).then(|| unsafe { std::slice::from_raw_parts(p, len as usize) }.to_vec())
    }

    /// The ICC profile from the APP2 segments. Call before [`start`](Self::start).
    pub fn icc(&self) -> Option<Vec<u8>> {
        self.segment(imgb_jpeg_icc)
    }

    /// The EXIF block (TIFF data, without `Exif\0\0`). Call before [`start`](Self::start).
    pub fn exif(&self) -> Option<Vec<u8>> {
        self.segment(imgb_jpeg_exif).map(|mut e| e.split_off(6))
    }

    /// Starts the decode at 1/`denom` scale (1, 2, 4 or 8) into libjpeg's
    /// colour space `out` (see [`space`]).
    pub fn start(&mut self, denom: u32, out: i32) -> Result<Output, Error> {
        let (mut w, mut h, mut c) = (0, 0, 0);
        // SAFETY: `raw` is live and its headers were read.
        let rc = unsafe { imgb_jpeg_start(self.raw, denom, out, &mut w, &mut h, &mut c) };
        if rc != 0 {
            return Err(self.failure());
        }
        Ok(Output { size: (w, h), components: c.max(0) as usize })
    }

    /// Decodes every row into `out`, which holds exactly `output`'s rows.
    pub fn read(&mut self, output: Output, out: &mut [u8]) -> Result<(), Error> {
        let stride = output.size.0 as usize * output.components;
        if out.len() != stride * output.size.1 as usize {
            return Err(Error::Data("wrong buffer size for the decoded rows".into()));
        }
        // SAFETY: `out` holds `height` rows of `stride` bytes, the decode
        // was started with this output size and writes no more than that.
        let rc = unsafe { imgb_jpeg_read(self.raw, out.as_mut_ptr(), stride) };
        if rc != 0 {
            return Err(self.failure());
        }
        Ok(())
    }
}
