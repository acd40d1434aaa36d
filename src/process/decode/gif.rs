//! GIF specifics: a first frame placed (partly) outside the logical screen
//! is named as such when its decode fails, instead of the "truncated GIF"
//! the decoder's short read would otherwise suggest.

use std::io::Cursor;

use image::ImageFormat;

use super::{DecodeOptions, Decoded, Decoder, Header, InFormat, Request, image_rs};
use crate::error::FileError;

/// GIF: `image`'s decoder (the first frame), its short reads explained.
pub(crate) struct Gif;

impl Decoder for Gif {
    fn header(&self, bytes: &[u8], opts: &DecodeOptions) -> Result<Header, FileError> {
        image_rs::header(bytes, ImageFormat::Gif, InFormat::Gif, opts)
    }

    fn decode(&self, bytes: &[u8], req: &mut Request<'_>) -> Result<Decoded, FileError> {
        match image_rs::decode(bytes, ImageFormat::Gif, InFormat::Gif, req, None) {
            Err(FileError::Truncated(_)) => Err(match frame_outside_screen(bytes) {
                Some(why) => FileError::Corrupt { format: "GIF", detail: format!("{why} and its data ends early") },
                None => FileError::Truncated("GIF"),
            }),
            result => result,
        }
    }
}

/// Why the first frame cannot be shown as the header promises, if it lies
/// outside the screen; `None` when it fits or the header cannot be read.
pub(crate) fn frame_outside_screen(bytes: &[u8]) -> Option<String> {
    let mut d = gif::DecodeOptions::new().read_info(Cursor::new(bytes)).ok()?;
    let (sw, sh) = (d.width() as u32, d.height() as u32);
    let f = d.next_frame_info().ok()??;
    let (left, top, w, h) = (f.left as u32, f.top as u32, f.width as u32, f.height as u32);
    if left + w <= sw && top + h <= sh {
        return None;
    }
    Some(format!("its first frame ({w}x{h} at {left},{top}) lies outside the {sw}x{sh} screen"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-frame GIF: `screen` logical size, frame of `frame` at `at`.
    fn gif(screen: (u16, u16), at: (u16, u16), frame: (u16, u16)) -> Vec<u8> {
        let mut v = Vec::new();
        {
            let mut e = gif::Encoder::new(&mut v, screen.0, screen.1, &[0, 0, 0, 255, 255, 255]).unwrap();
            let mut f = gif::Frame::default();
            (f.left, f.top, f.width, f.height) = (at.0, at.1, frame.0, frame.1);
            let pixels = vec![1u8; frame.0 as usize * frame.1 as usize];
            f.buffer = std::borrow::Cow::Owned(pixels);
            e.write_frame(&f).unwrap();
        }
        v
    }

    #[test]
    fn a_frame_inside_the_screen_is_fine() {
        assert_eq!(frame_outside_screen(&gif((10, 10), (2, 2), (4, 4))), None);
    }

    #[test]
    fn a_frame_past_the_screen_edge_is_named() {
        let why = frame_outside_screen(&gif((10, 10), (8, 20), (4, 4))).unwrap();
        assert_eq!(why, "its first frame (4x4 at 8,20) lies outside the 10x10 screen");
    }
}
