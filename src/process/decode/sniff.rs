//! Content sniffing: what a file is, from its first bytes, never from its
//! name alone. The name only helps to tell a camera's TIFF-based RAW (NEF,
//! ARW, PEF …, which carry no signature of their own) from a plain TIFF.

use crate::error::FileError;

/// How many leading bytes [`sniff`] looks at (SVG needs a few hundred).
pub const HEAD_LEN: usize = 512;

/// An image format imgbatch recognises, readable by this build or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFormat {
    /// JPEG (JFIF/EXIF).
    Jpeg,
    /// PNG and APNG.
    Png,
    /// WebP, still or animated.
    WebP,
    /// GIF, still or animated.
    Gif,
    /// Windows bitmap.
    Bmp,
    /// TIFF and BigTIFF.
    Tiff,
    /// JPEG XL, bare codestream or ISO-BMFF container.
    Jxl,
    /// HEIF container: HEIC (HEVC) or AVIF (AV1).
    Heif(HeifKind),
    /// A camera RAW file.
    Raw(RawKind),
}

/// What a HEIF container holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeifKind {
    /// HEVC-coded (iPhone photos).
    Heic,
    /// AV1-coded.
    Avif,
}

/// Camera RAW families (what the file is called in error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    /// Adobe Digital Negative.
    Dng,
    /// Canon, TIFF-based.
    Cr2,
    /// Canon, ISO-BMFF-based.
    Cr3,
    /// Canon, CIFF (older cameras).
    Crw,
    /// Olympus.
    Orf,
    /// Panasonic.
    Rw2,
    /// Fujifilm.
    Raf,
    /// Another TIFF-based RAW, named by its extension (NEF, ARW, PEF, SRW …).
    TiffBased,
}

/// TIFF-based RAW extensions that have no signature of their own.
const TIFF_RAW_EXTENSIONS: [&str; 16] =
    ["nef", "nrw", "arw", "srf", "sr2", "pef", "srw", "3fr", "erf", "kdc", "dcr", "mef", "mos", "iiq", "rwl", "dng"];

impl InFormat {
    /// Short display name, as in error messages and the report.
    pub fn name(self) -> &'static str {
        match self {
            InFormat::Jpeg => "JPEG",
            InFormat::Png => "PNG",
            InFormat::WebP => "WebP",
            InFormat::Gif => "GIF",
            InFormat::Bmp => "BMP",
            InFormat::Tiff => "TIFF",
            InFormat::Jxl => "JPEG XL",
            InFormat::Heif(HeifKind::Heic) => "HEIC",
            InFormat::Heif(HeifKind::Avif) => "AVIF",
            InFormat::Raw(k) => k.name(),
        }
    }
}

impl RawKind {
    /// Short display name.
    pub fn name(self) -> &'static str {
        match self {
            RawKind::Dng => "DNG",
            RawKind::Cr2 => "CR2",
            RawKind::Cr3 => "CR3",
            RawKind::Crw => "CRW",
            RawKind::Orf => "ORF",
            RawKind::Rw2 => "RW2",
            RawKind::Raf => "RAF",
            RawKind::TiffBased => "camera RAW",
        }
    }
}

/// Image formats, by signatures `image` does not know, that this tool never
/// reads, with what to do instead.
fn unsupported(head: &[u8]) -> Option<FileError> {
    let (format, hint): (&'static str, &'static str) = if head.starts_with(b"8BPS") {
        ("PSD", "Photoshop documents are not read; export a TIFF, PNG or JPEG")
    } else if looks_like_svg(head) {
        ("SVG", "vector images are not rasterised; render it with rsvg-convert or a browser first")
    } else if head.starts_with(b"gimp xcf") {
        ("XCF", "GIMP documents are not read; export a PNG or JPEG")
    } else if head.starts_with(b"\0\0\0\x0cjP  \r\n\x87\n") || head.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]) {
        ("JPEG 2000", "this build has no JPEG 2000 decoder")
    } else if head.starts_with(b"%!PS-Adobe") && head.windows(4).any(|w| w == b"EPSF") {
        ("EPS", "PostScript is not rasterised")
    } else if head.starts_with(&[0x49, 0x49, 0xBC]) {
        ("JPEG XR", "this build has no JPEG XR decoder")
    } else {
        return None;
    };
    Some(FileError::UnsupportedFormat { format, hint })
}

/// Formats `image` recognises that imgbatch does not read.
fn unsupported_by_image(f: image::ImageFormat) -> Option<FileError> {
    let format = match f {
        image::ImageFormat::Ico => "ICO",
        image::ImageFormat::Pnm => "PNM",
        image::ImageFormat::Tga => "TGA",
        image::ImageFormat::Dds => "DDS",
        image::ImageFormat::Hdr => "Radiance HDR",
        image::ImageFormat::OpenExr => "OpenEXR",
        image::ImageFormat::Farbfeld => "farbfeld",
        image::ImageFormat::Qoi => "QOI",
        _ => return None,
    };
    Some(FileError::UnsupportedFormat {
        format,
        hint: "not one of the formats imgbatch reads (see README: supported formats)",
    })
}

fn looks_like_svg(head: &[u8]) -> bool {
    let text = head.trim_ascii_start();
    (text.starts_with(b"<?xml") || text.starts_with(b"<svg") || text.starts_with(b"<!DOCTYPE svg"))
        && memchr::memmem::find(head, b"<svg").is_some()
}

/// The ISO-BMFF `ftyp` brands of a HEIF or AVIF still image or sequence.
fn heif_kind(head: &[u8]) -> Option<HeifKind> {
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

/// Decides what a file is from its first bytes (up to [`HEAD_LEN`]);
/// `extension` only separates camera RAWs from plain TIFFs.
pub fn sniff(head: &[u8], extension: Option<&str>) -> Result<InFormat, FileError> {
    if head.is_empty() {
        return Err(FileError::NotAnImage("empty file"));
    }
    let is_tiff = head.starts_with(b"II*\0") || head.starts_with(b"MM\0*");
    let is_bigtiff = head.starts_with(b"II\x2B\x00") || head.starts_with(b"MM\x00\x2B");
    if is_tiff && head.len() >= 10 && &head[8..10] == b"CR" {
        return Ok(InFormat::Raw(RawKind::Cr2));
    }
    if is_tiff || is_bigtiff {
        let raw_ext = extension.is_some_and(|e| TIFF_RAW_EXTENSIONS.iter().any(|r| r.eq_ignore_ascii_case(e)));
        return Ok(match extension {
            Some(e) if e.eq_ignore_ascii_case("dng") => InFormat::Raw(RawKind::Dng),
            _ if raw_ext => InFormat::Raw(RawKind::TiffBased),
            // A DNG without its extension is found by its DNGVersion tag at decode time.
            _ => InFormat::Tiff,
        });
    }
    if head.starts_with(b"IIRO") || head.starts_with(b"IIRS") || head.starts_with(b"MMOR") {
        return Ok(InFormat::Raw(RawKind::Orf));
    }
    if head.starts_with(b"IIU\0") {
        return Ok(InFormat::Raw(RawKind::Rw2));
    }
    if head.starts_with(b"FUJIFILMCCD-RAW") {
        return Ok(InFormat::Raw(RawKind::Raf));
    }
    if head.len() >= 14 && &head[6..14] == b"HEAPCCDR" {
        return Ok(InFormat::Raw(RawKind::Crw));
    }
    if head.len() >= 12 && &head[4..12] == b"ftypcrx " {
        return Ok(InFormat::Raw(RawKind::Cr3));
    }
    if head.starts_with(&[0xFF, 0x0A]) || head.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return Ok(InFormat::Jxl);
    }
    if let Some(kind) = heif_kind(head) {
        return Ok(InFormat::Heif(kind));
    }
    if let Some(e) = unsupported(head) {
        return Err(e);
    }
    match image::guess_format(head) {
        Ok(image::ImageFormat::Jpeg) => Ok(InFormat::Jpeg),
        Ok(image::ImageFormat::Png) => Ok(InFormat::Png),
        Ok(image::ImageFormat::WebP) => Ok(InFormat::WebP),
        Ok(image::ImageFormat::Gif) => Ok(InFormat::Gif),
        Ok(image::ImageFormat::Bmp) => Ok(InFormat::Bmp),
        Ok(f) if let Some(e) = unsupported_by_image(f) => Err(e),
        _ => {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
