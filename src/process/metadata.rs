//! `--keep-metadata`: EXIF, XMP and IPTC carried from an input to its
//! outputs. By default nothing but what `--colour` decides is written.
//!
//! EXIF is parsed and written again with kamadak-exif rather than copied:
//! the pixels are already turned, so Orientation must say 1; the embedded
//! thumbnail would show the old, unturned picture; the pixel dimensions
//! must be the output's; GPS goes with `--strip-gps`; and a MakerNote is
//! dropped, because its vendor offsets break once it moves (and it is often
//! larger than a thumbnail). Containers are edited with img-parts.

use std::io::Cursor;

use exif::{Context, Field, In, Tag, Value};
use img_parts::{Bytes, ImageEXIF, ImageICC, jpeg::Jpeg, png::Png, png::PngChunk, webp::WebP};

use super::xmp;
use crate::format::Container;
use crate::job::OutFormat;

/// The largest XMP or IPTC block carried over; a bigger one is a metadata
/// bomb, not a description of a photo.
const MAX_BLOCK: usize = 1 << 20;

const XMP_JPEG: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// What precedes EXIF in its JPEG segment.
const EXIF_JPEG: &[u8] = b"Exif\0\0";
/// The most a JPEG segment holds after its marker and 2-byte length.
const MAX_SEGMENT: usize = 65535 - 2;
const XMP_PNG: &[u8] = b"XML:com.adobe.xmp";
const PHOTOSHOP: &[u8] = b"Photoshop 3.0\0";
/// Photoshop image resource that holds IPTC-IIM records.
const IPTC_RESOURCE: u16 = 0x0404;
/// TIFF tags of a TIFF input's own XMP and IPTC.
const TIFF_XMP: u16 = 700;
const TIFF_IPTC: u16 = 33723;

/// What `--keep-metadata` read from one input.
#[derive(Debug, Default, Clone)]
pub struct Metadata {
    /// EXIF fields of the main image (IFD0, Exif, GPS, Interop).
    exif: Vec<Field>,
    /// The XMP packet.
    xmp: Option<String>,
    /// IPTC-IIM records.
    iptc: Option<Vec<u8>>,
}

/// How the outputs' metadata differ from the input's.
#[derive(Debug, Clone, Copy)]
pub struct Rewrite {
    /// Output width and height.
    pub size: (u32, u32),
    /// Remove GPS from EXIF and XMP.
    pub strip_gps: bool,
    /// The pixels are sRGB now (EXIF ColorSpace says so).
    pub srgb: bool,
    /// The output's format, whose container decides what fits.
    pub format: OutFormat,
}

/// The blocks written into one output.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Blocks {
    /// EXIF as a TIFF structure (no `Exif\0\0` header).
    pub exif: Option<Vec<u8>>,
    /// XMP packet.
    pub xmp: Option<Vec<u8>>,
    /// IPTC-IIM records.
    pub iptc: Option<Vec<u8>>,
}

impl Metadata {
    /// The bytes [`Metadata::read`] copies, to be charged to the memory
    /// budget: a JPEG's headers (small), every other file whole (a PNG or
    /// WebP for img-parts, WebP keeping its XMP after the image data; a
    /// TIFF or HEIF for kamadak-exif).
    pub(crate) fn copy_cost(bytes: &[u8]) -> u64 {
        if is_jpeg(bytes) { 0 } else { bytes.len() as u64 }
    }

    /// Reads what a photo carries. Damaged metadata is treated as absent:
    /// it must never cost the pixels.
    pub fn read(bytes: &[u8]) -> Metadata {
        let mut meta = Metadata::default();
        if let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
            for f in exif.fields() {
                match f.tag {
                    Tag(Context::Tiff, TIFF_XMP) => meta.xmp = text(value_bytes(&f.value)),
                    Tag(Context::Tiff, TIFF_IPTC) => meta.iptc = value_bytes(&f.value).map(<[u8]>::to_vec),
                    _ if f.ifd_num == In::PRIMARY && keep_field(f) => meta.exif.push(f.clone()),
                    _ => {}
                }
            }
        }
        if is_jpeg(bytes) {
            // Only the segments before the image data are copied for img-parts.
            let head = &bytes[..crate::format::jpeg::scan(bytes).first_scan.unwrap_or(bytes.len())];
            if let Ok(jpeg) = Jpeg::from_bytes([head, &[0xFF, 0xD9]].concat().into()) {
                for s in jpeg.segments() {
                    let c = s.contents();
                    if s.marker() == 0xE1 && c.starts_with(XMP_JPEG) {
                        meta.xmp = text(Some(&c[XMP_JPEG.len()..]));
                    } else if s.marker() == 0xED && c.starts_with(PHOTOSHOP) {
                        meta.iptc = iptc_from_irb(&c[PHOTOSHOP.len()..]).map(<[u8]>::to_vec);
                    }
                }
            }
        } else if bytes.starts_with(b"\x89PNG") {
            if let Ok(png) = Png::from_bytes(Bytes::copy_from_slice(bytes)) {
                meta.xmp = png.chunks_by_type(*b"iTXt").find_map(|c| xmp_from_itxt(c.contents()));
            }
        } else if bytes.starts_with(b"RIFF")
            && let Ok(webp) = WebP::from_bytes(Bytes::copy_from_slice(bytes))
        {
            meta.xmp = text(webp.chunk_by_id(*b"XMP ").and_then(|c| c.content().data()).map(|d| &d[..]));
        } else if matches!(crate::format::sniff(bytes, None), Ok(crate::format::InFormat::Heif(_))) {
            meta.xmp = text(super::decode::heif::xmp(bytes).as_deref());
        }
        meta.iptc = meta.iptc.filter(|i| !i.is_empty() && i.len() <= MAX_BLOCK);
        meta
    }

    /// Whether there is anything to write.
    pub fn is_empty(&self) -> bool {
        self.exif.is_empty() && self.xmp.is_none() && self.iptc.is_none()
    }

    /// The blocks for one output, and a warning for each left out: an XMP
    /// packet that does not parse, or a block too large for the one JPEG
    /// segment that must hold it (64 KiB). Metadata never costs the image.
    pub fn blocks(&self, r: Rewrite) -> (Blocks, Vec<String>) {
        let mut warnings = Vec::new();
        let xmp = self.xmp.as_deref().and_then(|x| match xmp::rewrite(x, r.strip_gps) {
            Ok(x) => Some(x.into_bytes()),
            Err(e) => {
                warnings.push(format!("{e}: XMP left out"));
                None
            }
        });
        let mut blocks = Blocks { exif: self.exif_for(r), xmp, iptc: self.iptc.clone() };
        if r.format.row().metadata == Container::JpegSegments {
            let fits = |name: &str, block: &mut Option<Vec<u8>>, overhead: usize, warnings: &mut Vec<String>| {
                if let Some(b) = block.take_if(|b| b.len() + overhead > MAX_SEGMENT) {
                    warnings.push(format!(
                        "{name} of {} does not fit a JPEG segment (64 KiB): left out",
                        crate::units::human_bytes(b.len() as u64)
                    ));
                }
            };
            fits("EXIF", &mut blocks.exif, EXIF_JPEG.len(), &mut warnings);
            fits("XMP", &mut blocks.xmp, XMP_JPEG.len(), &mut warnings);
            fits("IPTC", &mut blocks.iptc, irb_with_iptc(&[]).len(), &mut warnings);
        }
        (blocks, warnings)
    }

    fn exif_for(&self, r: Rewrite) -> Option<Vec<u8>> {
        let (w, h) = r.size;
        let mut fields: Vec<Field> = Vec::with_capacity(self.exif.len() + 2);
        for f in &self.exif {
            let value = match f.tag {
                Tag::Orientation => Value::Short(vec![1]),
                Tag::ColorSpace if r.srgb => Value::Short(vec![1]),
                Tag::PixelXDimension | Tag::PixelYDimension => continue,
                Tag(Context::Gps, _) if r.strip_gps => continue,
                _ => f.value.clone(),
            };
            fields.push(Field { tag: f.tag, ifd_num: In::PRIMARY, value });
        }
        if fields.is_empty() {
            return None;
        }
        for (tag, v) in [(Tag::PixelXDimension, w), (Tag::PixelYDimension, h)] {
            fields.push(Field { tag, ifd_num: In::PRIMARY, value: Value::Long(vec![v]) });
        }
        let mut w = exif::experimental::Writer::new();
        for f in &fields {
            w.push_field(f);
        }
        let mut out = Cursor::new(Vec::new());
        // A field the writer refuses loses the EXIF, never the image.
        w.write(&mut out, false).ok()?;
        Some(out.into_inner())
    }
}

/// Whether an EXIF field of the main image is carried over: descriptive
/// IFD0 tags (not a TIFF input's image structure), all of the Exif, GPS
/// and Interop IFDs but the MakerNote, and no value the writer cannot write.
fn keep_field(f: &Field) -> bool {
    if matches!(f.value, Value::Unknown(..)) {
        return false;
    }
    match f.tag {
        Tag::MakerNote => false,
        Tag(Context::Tiff, n) => {
            matches!(
            Tag(Context::Tiff, n),
            Tag::ImageDescription
                | Tag::Make
                | Tag::Model
                | Tag::Orientation
                | Tag::XResolution
                | Tag::YResolution
                | Tag::ResolutionUnit
                | Tag::Software
                | Tag::DateTime
                | Tag::Artist
                | Tag::Copyright
                | Tag::YCbCrPositioning
        ) || (0x9C9B..=0x9C9F).contains(&n) // Windows' XPTitle … XPSubject
            || n == 0x4746
        } // Rating
        _ => true,
    }
}

fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8])
}

fn value_bytes(v: &Value) -> Option<&[u8]> {
    match v {
        Value::Byte(b) | Value::Undefined(b, _) => Some(b),
        Value::Ascii(a) => a.first().map(Vec::as_slice),
        _ => None,
    }
}

fn text(b: Option<&[u8]>) -> Option<String> {
    let b = b?;
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    (b.len() <= MAX_BLOCK).then(|| String::from_utf8(b.to_vec()).ok()).flatten().filter(|s| s.contains("<x:xmpmeta"))
}

/// The XMP of a PNG `iTXt` chunk keyed `XML:com.adobe.xmp`, uncompressed
/// (as every writer of XMP in PNG stores it).
fn xmp_from_itxt(c: &[u8]) -> Option<String> {
    let rest = c.strip_prefix(XMP_PNG)?.strip_prefix(&[0])?;
    let (&compressed, rest) = rest.split_first()?;
    if compressed != 0 {
        return None;
    }
    let rest = rest.get(1..)?; // compression method
    let lang_end = rest.iter().position(|&b| b == 0)?;
    let rest = &rest[lang_end + 1..];
    let key_end = rest.iter().position(|&b| b == 0)?;
    text(Some(&rest[key_end + 1..]))
}

/// The IPTC records in a Photoshop image resource block: a series of
/// `8BIM`, id, padded Pascal name, size, padded data.
fn iptc_from_irb(mut irb: &[u8]) -> Option<&[u8]> {
    while irb.len() >= 12 && irb.starts_with(b"8BIM") {
        let id = u16::from_be_bytes([irb[4], irb[5]]);
        let name_len = irb[6] as usize;
        let name = (1 + name_len).next_multiple_of(2);
        let at = 6 + name;
        let size = u32::from_be_bytes(irb.get(at..at + 4)?.try_into().ok()?) as usize;
        let data = irb.get(at + 4..at + 4 + size)?;
        if id == IPTC_RESOURCE {
            return Some(data);
        }
        irb = irb.get(at + 4 + size.next_multiple_of(2)..)?;
    }
    None
}

/// A Photoshop image resource block holding only `iptc`.
fn irb_with_iptc(iptc: &[u8]) -> Vec<u8> {
    let mut irb = PHOTOSHOP.to_vec();
    irb.extend_from_slice(b"8BIM");
    irb.extend_from_slice(&IPTC_RESOURCE.to_be_bytes());
    irb.extend_from_slice(&[0, 0]); // empty name, padded
    irb.extend_from_slice(&(iptc.len() as u32).to_be_bytes());
    irb.extend_from_slice(iptc);
    if iptc.len() % 2 == 1 {
        irb.push(0);
    }
    irb
}

/// Writes `blocks` into an encoded file of the container `into`, and `icc`,
/// a profile its encoder could not write itself (libwebp's simple encoder
/// has no option for one). HEIF items are the AVIF encoder's to write.
pub fn embed(
    bytes: Vec<u8>,
    into: Container,
    blocks: &Blocks,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, img_parts::Error> {
    let bytes = Bytes::from(bytes);
    let copy = |b: &Option<Vec<u8>>| b.as_deref().map(Bytes::copy_from_slice);
    let icc = icc.map(Bytes::copy_from_slice);
    let out = match into {
        Container::JpegSegments => {
            let mut jpeg = Jpeg::from_bytes(bytes)?;
            jpeg.set_exif(copy(&blocks.exif));
            // Right after the EXIF (or JFIF) segment, before the frame.
            let at = jpeg.segments().iter().position(|s| !matches!(s.marker(), 0xE0 | 0xE1)).unwrap_or(0);
            let mut extra = Vec::new();
            if let Some(x) = &blocks.xmp {
                extra.push(img_parts::jpeg::JpegSegment::new_with_contents(0xE1, [XMP_JPEG, x].concat().into()));
            }
            if let Some(i) = &blocks.iptc {
                extra.push(img_parts::jpeg::JpegSegment::new_with_contents(0xED, irb_with_iptc(i).into()));
            }
            jpeg.segments_mut().splice(at..at, extra);
            if icc.is_some() {
                jpeg.set_icc_profile(icc);
            }
            jpeg.encoder().bytes()
        }
        Container::PngChunks => {
            let mut png = Png::from_bytes(bytes)?;
            png.set_exif(copy(&blocks.exif));
            if let Some(x) = &blocks.xmp {
                let mut itxt = XMP_PNG.to_vec();
                itxt.extend_from_slice(&[0, 0, 0, 0, 0]); // uncompressed, no language, no translation
                itxt.extend_from_slice(x);
                let at = png.chunks().iter().position(|c| &c.kind() == b"IDAT").unwrap_or(1);
                png.chunks_mut().insert(at, PngChunk::new(*b"iTXt", itxt.into()));
            }
            if icc.is_some() {
                png.set_icc_profile(icc);
            }
            png.encoder().bytes()
        }
        Container::RiffChunks => {
            let mut webp = WebP::from_bytes(bytes)?;
            if let Some(x) = &blocks.xmp {
                let chunk =
                    img_parts::riff::RiffChunk::new(*b"XMP ", img_parts::riff::RiffContent::Data(x.clone().into()));
                webp.chunks_mut().push(chunk);
            }
            // Also sets the VP8X flags for every chunk present, XMP included.
            webp.set_exif(copy(&blocks.exif));
            if icc.is_some() {
                webp.set_icc_profile(icc);
            }
            webp.encoder().bytes()
        }
        Container::HeifItems => return Ok(bytes.to_vec()),
    };
    Ok(out.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_too_big_for_a_jpeg_segment_is_left_out_with_a_warning_only_in_jpeg() {
        let big = format!(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>{}</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"#,
            "x".repeat(70_000)
        );
        let meta = Metadata { exif: vec![], xmp: Some(big), iptc: Some(vec![0x1c; 70_000]) };
        let r = |format| Rewrite { size: (1, 1), strip_gps: true, srgb: true, format };
        let (jpeg, warnings) = meta.blocks(r(OutFormat::Jpeg));
        assert_eq!((jpeg.xmp, jpeg.iptc), (None, None));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("XMP of ") && warnings[0].ends_with("left out"), "{warnings:?}");
        let (png, warnings) = meta.blocks(r(OutFormat::Png));
        assert!(png.xmp.is_some_and(|x| x.len() > 70_000) && png.iptc.is_some() && warnings.is_empty());
        // Written into a real JPEG: the image is whole, the block gone.
        let (blocks, _) = meta.blocks(r(OutFormat::Jpeg));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
            .encode(&[0u8; 12], 2, 2, image::ExtendedColorType::Rgb8)
            .unwrap();
        let out = embed(jpeg, Container::JpegSegments, &blocks, None).unwrap();
        assert_eq!(image::load_from_memory(&out).unwrap().width(), 2);
    }

    #[test]
    fn an_exif_too_big_for_a_jpeg_segment_is_left_out_with_a_warning() {
        // A PNG's eXIf has no such limit: 100 KB of UserComment is legal there.
        let comment =
            Field { tag: Tag::UserComment, ifd_num: In::PRIMARY, value: Value::Undefined(vec![0x41; 100_000], 0) };
        let meta = Metadata { exif: vec![comment], xmp: None, iptc: None };
        let r = |format| Rewrite { size: (1, 1), strip_gps: false, srgb: true, format };
        let (jpeg, warnings) = meta.blocks(r(OutFormat::Jpeg));
        assert_eq!(jpeg.exif, None);
        assert!(warnings.len() == 1 && warnings[0].starts_with("EXIF of 97."), "{warnings:?}");
        let (png, warnings) = meta.blocks(r(OutFormat::Png));
        assert!(png.exif.is_some_and(|e| e.len() > 100_000) && warnings.is_empty());
    }

    #[test]
    fn an_xmp_packet_that_does_not_parse_is_left_out_with_a_warning() {
        let meta = Metadata { exif: vec![], xmp: Some("<x:xmpmeta><rdf:RDF></x:xmpmeta>".into()), iptc: None };
        let (blocks, warnings) =
            meta.blocks(Rewrite { size: (1, 1), strip_gps: true, srgb: true, format: OutFormat::Webp });
        assert_eq!(blocks.xmp, None);
        assert!(warnings[0].contains("XMP left out"), "{warnings:?}");
    }

    #[test]
    fn iptc_survives_a_photoshop_block() {
        let records = b"\x1c\x02\x74\x00\x05Anne!".to_vec();
        let irb = irb_with_iptc(&records);
        assert_eq!(iptc_from_irb(&irb[PHOTOSHOP.len()..]), Some(&records[..]));
        // After another resource with an odd-length name and odd size.
        let mut two = b"8BIM\x04\x0c\x03abc\x00\x00\x00\x03xyz\x00".to_vec();
        two.extend_from_slice(&irb[PHOTOSHOP.len()..]);
        assert_eq!(iptc_from_irb(&two), Some(&records[..]));
    }
}
