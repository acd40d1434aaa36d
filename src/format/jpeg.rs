//! A walk over a JPEG's marker segments, without decoding pixels. It answers
//! the questions the decoders do not: is the file complete (the `image` crate
//! fills a cut-off JPEG with grey and reports success), which coding process
//! it uses (so unsupported ones get a precise error), and how many scans a
//! sequential file has (zune-jpeg 0.5.15 silently decodes baseline files with
//! one scan per component into garbage; zune-image issues 419/422).

use crate::read::Source;

/// What the marker walk found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JpegInfo {
    /// The SOFn marker byte (0xC0..=0xCF), if a frame header was seen.
    pub sof: Option<u8>,
    /// Sample precision in bits from the frame header.
    pub precision: u8,
    /// Number of SOS (start of scan) segments.
    pub scans: u32,
    /// Whether an EOI marker closes the image data.
    pub complete: bool,
    /// Offset of the EOI marker (the file's length when there is none).
    pub eoi: usize,
    /// Width and height from the frame header.
    pub size: (u32, u32),
    /// Number of colour components (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK).
    pub components: u8,
    /// An Adobe APP14 segment is present: CMYK samples are stored inverted
    /// (0 = full ink), as Photoshop writes them.
    pub adobe: bool,
    /// Offset of the first SOS marker: everything before it is headers and metadata.
    pub first_scan: Option<usize>,
}

/// Coding process, as far as decoding support is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// Baseline or extended sequential Huffman (SOF0, SOF1).
    Sequential,
    /// Progressive Huffman (SOF2).
    Progressive,
    /// Lossless (SOF3).
    Lossless,
    /// Hierarchical (differential) Huffman (SOF5–7).
    Hierarchical,
    /// Arithmetic coding (SOF9–11, SOF13–15).
    Arithmetic,
    /// No frame header.
    Unknown,
}

impl JpegInfo {
    /// The coding process named by the frame header.
    pub fn process(&self) -> Process {
        match self.sof {
            Some(0xC0 | 0xC1) => Process::Sequential,
            Some(0xC2) => Process::Progressive,
            Some(0xC3) => Process::Lossless,
            Some(0xC5..=0xC7) => Process::Hierarchical,
            Some(0xC9..=0xCB | 0xCD..=0xCF) => Process::Arithmetic,
            _ => Process::Unknown,
        }
    }

    /// A sequential file whose components arrive in separate scans: the case
    /// zune-jpeg 0.5.15 gets wrong.
    pub(crate) fn is_multi_scan_sequential(&self) -> bool {
        self.process() == Process::Sequential && self.scans > 1
    }

    /// Whether jpeg-decoder can decode this file at reduced scale
    /// (whole 8-bit grey or colour files; CMYK stays with the main decoder).
    pub(crate) fn can_shrink_on_load(&self) -> bool {
        matches!(self.process(), Process::Sequential | Process::Progressive)
            && self.precision == 8
            && self.complete
            && matches!(self.components, 1 | 3)
    }
}

fn is_sof(m: u8) -> bool {
    // 0xC4 (DHT), 0xC8 (JPG) and 0xCC (DAC) share the range but are not frames.
    (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC)
}

/// Walks the markers of `b`, which must start with SOI.
pub fn scan(b: &[u8]) -> JpegInfo {
    scan_from(&mut { b })
}

/// [`scan`] over any [`Source`]: a file held in memory or a window onto one.
pub(crate) fn scan_from<S: Source>(b: &mut S) -> JpegInfo {
    let n = b.size();
    let mut info = JpegInfo { eoi: n, ..JpegInfo::default() };
    let mut i = 2;
    loop {
        // Tolerate extraneous bytes before a marker, as libjpeg does.
        i = match find_ff(b, i) {
            Some(at) => at,
            None => return info,
        };
        while b.at(i, 1).first() == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = b.at(i, 1).first() else { return info };
        i += 1;
        match marker {
            0xD9 => {
                info.complete = true;
                info.eoi = i - 2;
                return info;
            }
            0x00 | 0x01 | 0xD0..=0xD8 => continue,
            _ => {}
        }
        // The length, and the most any segment below looks at.
        let h = b.at(i, 8);
        if h.len() < 2 {
            return info;
        }
        let len = u16::from_be_bytes([h[0], h[1]]) as usize;
        if len < 2 {
            return info;
        }
        if is_sof(marker) && info.sof.is_none() && h.len() > 2 {
            info.sof = Some(marker);
            info.precision = h[2];
            if let Some(f) = h.get(3..8) {
                info.size = (u16::from_be_bytes([f[2], f[3]]) as u32, u16::from_be_bytes([f[0], f[1]]) as u32);
                info.components = f[4];
            }
        }
        if marker == 0xEE && h.get(2..7) == Some(b"Adobe") {
            info.adobe = true;
        }
        if marker == 0xDA && info.first_scan.is_none() {
            info.first_scan = Some(i - 2);
        }
        i += len;
        if marker == 0xDA {
            info.scans += 1;
            i = skip_entropy_data(b, i);
        }
    }
}

/// The offset of the next 0xFF byte from `i` on.
#[inline]
fn find_ff<S: Source>(b: &mut S, mut i: usize) -> Option<usize> {
    loop {
        let rest = b.at(i, 1);
        if rest.is_empty() {
            return None;
        }
        match memchr::memchr(0xFF, rest) {
            Some(off) => return Some(i + off),
            None => i += rest.len(),
        }
    }
}

/// Returns the index of the marker that ends the entropy-coded segment at `i`.
fn skip_entropy_data<S: Source>(b: &mut S, mut i: usize) -> usize {
    let n = b.size();
    while let Some(at) = find_ff(b, i) {
        i = at;
        match b.at(i, 2).get(1) {
            None => return n,
            // Stuffed zero byte or restart marker: still inside the scan.
            Some(0x00 | 0xD0..=0xD7) => i += 2,
            // Fill byte: look at the next one.
            Some(0xFF) => i += 1,
            Some(_) => return i,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    fn jpeg(sof: u8, scans: usize, eoi: bool) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend(seg(0xDB, &[0; 65]));
        v.extend(seg(sof, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
        for _ in 0..scans {
            v.extend(seg(0xDA, &[1, 1, 0, 0, 63, 0]));
            v.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        }
        if eoi {
            v.extend_from_slice(&[0xFF, 0xD9]);
        }
        v
    }

    #[test]
    fn complete_baseline_has_one_scan() {
        let i = scan(&jpeg(0xC0, 1, true));
        assert_eq!(i.process(), Process::Sequential);
        assert_eq!((i.scans, i.complete, i.precision), (1, true, 8));
        assert!(!i.is_multi_scan_sequential());
    }

    #[test]
    fn eoi_offset_is_where_the_marker_starts() {
        let v = jpeg(0xC2, 2, true);
        let i = scan(&v);
        assert_eq!(i.eoi, v.len() - 2);
        assert_eq!(scan(&jpeg(0xC2, 2, false)).eoi, v.len() - 2);
    }

    #[test]
    fn missing_eoi_is_incomplete() {
        assert!(!scan(&jpeg(0xC0, 1, false)).complete);
        let mut cut = jpeg(0xC0, 1, true);
        cut.truncate(cut.len() - 5);
        assert!(!scan(&cut).complete);
    }

    #[test]
    fn multi_scan_baseline_is_flagged() {
        let i = scan(&jpeg(0xC0, 3, true));
        assert_eq!(i.scans, 3);
        assert!(i.is_multi_scan_sequential());
        assert!(!scan(&jpeg(0xC2, 3, true)).is_multi_scan_sequential());
    }

    #[test]
    fn processes_are_named() {
        assert_eq!(scan(&jpeg(0xC9, 1, true)).process(), Process::Arithmetic);
        assert_eq!(scan(&jpeg(0xC3, 1, true)).process(), Process::Lossless);
    }

    #[test]
    fn junk_before_a_marker_is_skipped() {
        let mut v = jpeg(0xC0, 1, true);
        v.splice(2..2, [1, 2, 3, 4, 5]);
        assert!(scan(&v).complete);
    }

    /// A JPEG-like walk whose markers, stuffed bytes and segments straddle
    /// the window's 1 MiB edges: the window finds what memory does.
    #[test]
    fn a_walk_through_a_window_finds_what_the_walk_in_memory_finds() {
        use crate::read::{Input, WINDOW_LEN};
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xC2, 0, 11, 8, 0, 16, 0, 16, 3, 1, 0x11, 0];
        for scan_no in 0..3usize {
            b.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0]);
            // Entropy data up to just short of the next window edge, then a
            // stuffed byte and a restart marker across it.
            let edge = (scan_no + 1) * WINDOW_LEN;
            b.resize(edge - 1, 0x5A);
            b.extend_from_slice(&[0xFF, 0x00, 0x12, 0xFF, 0xD3, 0x34]);
        }
        b.extend_from_slice(&[0xFF, 0xFF, 0xD9]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("walk.jpg");
        for len in [b.len(), b.len() - 1, 2 * WINDOW_LEN + 3] {
            std::fs::write(&path, &b[..len]).unwrap();
            let input = Input::open(&path, u64::MAX).unwrap();
            let mut window = input.window();
            let found = scan_from(&mut window);
            assert!(window.error.is_none());
            assert_eq!(found, scan(&b[..len]), "cut at {len}");
        }
        assert_eq!(scan(&b).scans, 3);
        assert!(scan(&b).complete);
    }
}
