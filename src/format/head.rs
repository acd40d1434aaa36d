//! What a file's first bytes tell before any decoding, for the formats
//! whose header sits at the start: the stored size and, for JPEG, whether
//! it is progressive. The cost model prices a file from these.

use super::jpeg::{self, Process};

/// The header facts in a file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The stored width and height.
    pub size: (u32, u32),
    /// A progressive JPEG: its extra passes cost with its pixels.
    pub progressive: bool,
}

/// From a JPEG's markers, when its frame header is among the bytes (a
/// phone's EXIF block and preview can push it 60 KB in).
pub(crate) fn jpeg(bytes: &[u8]) -> Option<Head> {
    let info = jpeg::scan(bytes);
    let known = info.sof.is_some() && info.size.0 > 0 && info.size.1 > 0;
    known.then(|| Head { size: info.size, progressive: info.process() == Process::Progressive })
}

/// From a PNG's IHDR, which the format puts first.
pub(crate) fn png(bytes: &[u8]) -> Option<Head> {
    let ihdr = bytes.get(12..24).filter(|h| &h[..4] == b"IHDR")?;
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let size = (be(&ihdr[4..8]), be(&ihdr[8..12]));
    (size.0 > 0 && size.1 > 0).then_some(Head { size, progressive: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_head_gives_its_size_and_a_bad_one_nothing() {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend_from_slice(&[0, 0, 1, 44, 0, 0, 0, 200]);
        assert_eq!(png(&b), Some(Head { size: (300, 200), progressive: false }));
        b[16..20].fill(0);
        assert_eq!(png(&b), None, "zero width");
        assert_eq!(png(&b[..20]), None, "cut short");
    }
}
