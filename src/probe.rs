//! A file's head, read once: what the walker learns before it plans the
//! file (its format, and for the formats photo folders are made of, JPEG and
//! PNG, the header facts the cost model wants). The walker probes every
//! file, the counting pass a sample; the task carries the format to the
//! worker, which does not sniff again.

use crate::error::FileError;
use crate::format::jpeg::{self, Process};
use crate::format::{self, HEAD_LEN, InFormat};

/// What a file's first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Probe {
    /// The format, from the content.
    pub format: InFormat,
    /// The stored size, when the header is in the head (JPEG, PNG).
    pub size: Option<(u32, u32)>,
    /// A progressive JPEG: its extra passes cost with its pixels.
    pub progressive: bool,
}

/// Probes a file from its first bytes (the more, the likelier a JPEG's
/// frame header behind a phone's EXIF block is among them); `extension`
/// only tells a camera's TIFF-based RAW from a plain TIFF.
pub fn probe(head: &[u8], extension: Option<&str>) -> Result<Probe, FileError> {
    let format = format::sniff(&head[..head.len().min(HEAD_LEN)], extension)?;
    let (size, progressive) = match format {
        InFormat::Jpeg => {
            let info = jpeg::scan(head);
            let known = info.sof.is_some() && info.size.0 > 0 && info.size.1 > 0;
            (known.then_some(info.size), info.process() == Process::Progressive)
        }
        InFormat::Png => (png_size(head), false),
        _ => (None, false),
    };
    Ok(Probe { format, size, progressive })
}

/// Width and height from a PNG's IHDR, which the format puts first.
fn png_size(head: &[u8]) -> Option<(u32, u32)> {
    let ihdr = head.get(12..24).filter(|h| &h[..4] == b"IHDR")?;
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&ihdr[4..8]), be(&ihdr[8..12]))).filter(|&(w, h)| w > 0 && h > 0)
}
