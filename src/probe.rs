//! A file's head, read once: what the walker learns before it plans the
//! file (its format, and the header facts the cost model wants, for the
//! formats whose table row says how to read them). The walker probes every
//! file, the counting pass a sample; the task carries the format to the
//! worker, which does not sniff again.

use crate::error::FileError;
use crate::format::{self, HEAD_LEN, Head, InFormat};

/// What a file's first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Probe {
    /// The format, from the content.
    pub format: InFormat,
    /// The header facts, when the format's header is in the head.
    pub head: Option<Head>,
}

/// Probes a file from its first bytes (the more, the likelier a JPEG's
/// frame header behind a phone's EXIF block is among them); `extension`
/// only tells a camera's TIFF-based RAW from a plain TIFF.
pub fn probe(bytes: &[u8], extension: Option<&str>) -> Result<Probe, FileError> {
    let format = format::sniff(&bytes[..bytes.len().min(HEAD_LEN)], extension)?;
    let head = format.row().head.and_then(|read| read(bytes));
    Ok(Probe { format, head })
}
