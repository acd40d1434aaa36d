//! Content sniffing: what a file is, from its first bytes, never from its
//! name alone. The name only helps to tell a camera's TIFF-based RAW (NEF,
//! ARW, PEF …, which carry no signature of their own) from a plain TIFF.
//! The signatures themselves are the table's ([`super::INPUTS`]); these are
//! the ones that take more than a prefix.

use super::{HeifKind, INPUTS, InFormat, Signature};
use crate::error::FileError;

/// How many leading bytes [`sniff`] looks at (SVG needs a few hundred).
pub const HEAD_LEN: usize = 512;

/// Decides what a file is from its first bytes (up to [`HEAD_LEN`]);
/// `extension` only separates camera RAWs from plain TIFFs. A format
/// imgbatch recognises but never reads is an `UnsupportedFormat` error
/// with the table's hint.
pub fn sniff(head: &[u8], extension: Option<&str>) -> Result<InFormat, FileError> {
    if head.is_empty() {
        return Err(FileError::NotAnImage("empty file"));
    }
    let named = |exts: &[&str]| extension.is_some_and(|e| exts.iter().any(|x| x.eq_ignore_ascii_case(e)));
    let row = INPUTS.iter().find(|row| match row.signature {
        Signature::Magic(is) => is(head),
        Signature::MagicAndExtension(is) => is(head) && named(row.extensions),
    });
    match row {
        Some(row) => match (row.format, row.support) {
            (Some(format), _) => Ok(format),
            (None, super::Support::Never(hint)) => Err(FileError::UnsupportedFormat { format: row.name, hint }),
            (None, _) => Err(FileError::UnsupportedFormat { format: row.name, hint: "" }),
        },
        None => {
            let text = head.iter().take(64).all(|&c| c.is_ascii_graphic() || c.is_ascii_whitespace());
            let html = head.trim_ascii_start().first() == Some(&b'<');
            Err(FileError::NotAnImage(match (text, html) {
                (_, true) => "looks like HTML/XML text",
                (true, false) => "looks like text",
                _ => "unknown format",
            }))
        }
    }
}

/// Classic TIFF's header, either byte order.
pub(super) fn is_tiff(head: &[u8]) -> bool {
    head.starts_with(b"II*\0") || head.starts_with(b"MM\0*")
}

/// Classic TIFF or BigTIFF.
pub(super) fn is_any_tiff(head: &[u8]) -> bool {
    is_tiff(head) || head.starts_with(b"II\x2B\x00") || head.starts_with(b"MM\x00\x2B")
}

pub(super) fn looks_like_svg(head: &[u8]) -> bool {
    let text = head.trim_ascii_start();
    (text.starts_with(b"<?xml") || text.starts_with(b"<svg") || text.starts_with(b"<!DOCTYPE svg"))
        && memchr::memmem::find(head, b"<svg").is_some()
}

/// An icon directory: reserved 0, type 1 (icon) or 2 (cursor), 1–255
/// images, and a first entry whose reserved byte is 0. Four bytes alone
/// also start a Mac font resource file (`.dfont`).
pub(super) fn looks_like_ico(head: &[u8]) -> bool {
    matches!(head.get(..4), Some([0, 0, 1 | 2, 0]))
        && matches!(head.get(4..6), Some([1..=255, 0]))
        && head.get(9).is_none_or(|&reserved| reserved == 0)
}

/// Netpbm: `P1`…`P7`, then white space.
pub(super) fn looks_like_pnm(head: &[u8]) -> bool {
    matches!(head, [b'P', b'1'..=b'7', b' ' | b'\t' | b'\n' | b'\r', ..])
}

/// The ISO-BMFF `ftyp` brands of a HEIF or AVIF still image or sequence.
pub(super) fn heif_kind(head: &[u8]) -> Option<HeifKind> {
    if head.len() < 16 || &head[4..8] != b"ftyp" {
        return None;
    }
    let size = (u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize).clamp(16, head.len());
    // Major brand, then the compatible brands after the minor version.
    let brands = std::iter::once(&head[8..12]).chain(head[16..size].chunks_exact(4));
    let mut kind = None;
    for b in brands {
        match b {
            b"avif" | b"avis" => return Some(HeifKind::Avif),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => kind = Some(HeifKind::Heic),
            // A bare HEIF image container: HEVC in practice.
            b"mif1" | b"msf1" | b"mif2" => kind = kind.or(Some(HeifKind::Heic)),
            _ => {}
        }
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::RawKind;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&((16 + 4 * compatible.len()) as u32).to_be_bytes());
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            b.extend_from_slice(*c);
        }
        b.extend_from_slice(b"\0\0\0\x08free");
        b
    }

    #[test]
    fn content_decides_not_name() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some("jpg")).ok(), Some(InFormat::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0], None).ok(), Some(InFormat::Jpeg));
        assert!(matches!(sniff(b"", None), Err(FileError::NotAnImage("empty file"))));
        assert!(matches!(
            sniff(b"<!DOCTYPE html><html>", None),
            Err(FileError::NotAnImage("looks like HTML/XML text"))
        ));
        assert_eq!(sniff(b"II\x2B\x00\x08\x00\x00\x00", None).ok(), Some(InFormat::Tiff));
        assert!(matches!(sniff(b"hello world", Some("png")), Err(FileError::NotAnImage("looks like text"))));
    }

    #[test]
    fn heif_brands_and_videos() {
        assert_eq!(sniff(&ftyp(b"heic", &[b"mif1", b"heic"]), None).ok(), Some(InFormat::Heif(HeifKind::Heic)));
        assert_eq!(sniff(&ftyp(b"mif1", &[b"avif", b"miaf"]), None).ok(), Some(InFormat::Heif(HeifKind::Avif)));
        assert_eq!(sniff(&ftyp(b"avis", &[]), None).ok(), Some(InFormat::Heif(HeifKind::Avif)));
        // QuickTime and MP4 videos share the box layout but not the brands.
        assert!(matches!(sniff(&ftyp(b"qt  ", &[b"qt  "]), Some("MOV")), Err(FileError::NotAnImage(_))));
        assert!(matches!(sniff(&ftyp(b"isom", &[b"mp41", b"mp42"]), None), Err(FileError::NotAnImage(_))));
        assert_eq!(sniff(&ftyp(b"crx ", &[b"crx "]), None).ok(), Some(InFormat::Raw(RawKind::Cr3)));
    }

    #[test]
    fn raw_signatures_and_tiff_based_raws() {
        assert_eq!(sniff(b"II*\0\x10\0\0\0CR\x02\0", None).ok(), Some(InFormat::Raw(RawKind::Cr2)));
        assert_eq!(sniff(b"IIRO\x08\0\0\0", None).ok(), Some(InFormat::Raw(RawKind::Orf)));
        assert_eq!(sniff(b"IIU\0\x08\0\0\0", None).ok(), Some(InFormat::Raw(RawKind::Rw2)));
        assert_eq!(sniff(b"FUJIFILMCCD-RAW 0201", None).ok(), Some(InFormat::Raw(RawKind::Raf)));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08", Some("NEF")).ok(), Some(InFormat::Raw(RawKind::TiffBased)));
        assert_eq!(sniff(b"II*\0\x08\0\0\0", Some("dng")).ok(), Some(InFormat::Raw(RawKind::Dng)));
        assert_eq!(sniff(b"II*\0\x08\0\0\0", Some("tif")).ok(), Some(InFormat::Tiff));
    }

    #[test]
    fn jxl_and_named_unsupported_formats() {
        assert_eq!(sniff(&[0xFF, 0x0A, 0xFA], None).ok(), Some(InFormat::Jxl));
        assert_eq!(sniff(b"\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14ftypjxl ", None).ok(), Some(InFormat::Jxl));
        let psd = sniff(b"8BPS\0\x01\0\0\0\0\0\0", Some("psd")).err().map(|e| e.to_string());
        assert!(psd.is_some_and(|e| e.starts_with("unsupported format PSD")));
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>"#;
        let svg = sniff(svg, None).err().map(|e| e.to_string());
        assert!(svg.is_some_and(|e| e.starts_with("unsupported format SVG")), "svg");
        // XML that is not SVG is not an image at all.
        assert!(matches!(sniff(b"<?xml version=\"1.0\"?><x:xmpmeta>", Some("xmp")), Err(FileError::NotAnImage(_))));
    }

    #[test]
    fn a_mac_font_is_not_an_icon() {
        // Font.dfont: a resource fork whose data starts at 256 and map at 0x0A3B00.
        let dfont = b"\0\0\x01\0\0\x0A\x3B\0\0\x0A\x3A\0\0\0\0\x80";
        assert!(matches!(sniff(dfont, Some("dfont")), Err(FileError::NotAnImage(_))));
        let ico = b"\0\0\x01\0\x02\0\x10\x10\0\0\x01\0\x20\0";
        assert!(matches!(sniff(ico, Some("ico")), Err(FileError::UnsupportedFormat { format: "ICO", .. })));
    }
}
