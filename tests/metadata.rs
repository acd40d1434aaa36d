//! `--keep-metadata` and `--strip-gps`: a photo with camera EXIF (turned by
//! its Orientation, with GPS and an embedded thumbnail), XMP and IPTC, made
//! here with kamadak-exif's writer and img-parts, goes through the binary
//! into every output format; what comes out is read back with the same crates.

mod common;

/// Whether this build writes AVIF.
const AVIF_ENCODER: bool = cfg!(any(feature = "avif-rav1e", feature = "avif-libaom"));

use std::fs;
use std::io::Cursor;
use std::path::Path;

use common::{bin, jpeg_bytes, upright};
use exif::{Field, In, Tag, Value};
use img_parts::{Bytes, ImageEXIF, jpeg::Jpeg, jpeg::JpegSegment};

const XMP: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" tiff:Orientation="6" exif:GPSLatitude="48,51.0N" exif:GPSLongitude="2,21.0E"><dc:creator><rdf:Seq><rdf:li>Anne Photographer</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;

/// IPTC-IIM: By-line (2:80) "Anne", Keywords (2:25) "lake".
const IPTC: &[u8] = b"\x1c\x02\x50\x00\x04Anne\x1c\x02\x19\x00\x04lake";

fn field(tag: Tag, value: Value) -> Field {
    Field { tag, ifd_num: In::PRIMARY, value }
}

fn ascii(s: &str) -> Value {
    Value::Ascii(vec![s.as_bytes().to_vec()])
}

/// A 96x64 photo stored turned (Orientation 6) with a full set of metadata.
fn photo(path: &Path) {
    let thumb = jpeg_bytes(&upright(16, 12), 80, None, None);
    let rat = |n: u32| exif::Rational { num: n, denom: 1 };
    let fields = [
        field(Tag::Make, ascii("Canon")),
        field(Tag::Model, ascii("EOS R5")),
        field(Tag::Orientation, Value::Short(vec![6])),
        field(Tag::Copyright, ascii("(c) Anne Photographer")),
        field(Tag::DateTimeOriginal, ascii("2024:05:01 10:20:30")),
        field(Tag::PixelXDimension, Value::Long(vec![96])),
        field(Tag::PixelYDimension, Value::Long(vec![64])),
        field(Tag::MakerNote, Value::Undefined(vec![1, 2, 3, 4], 0)),
        field(Tag::GPSLatitudeRef, ascii("N")),
        field(Tag::GPSLatitude, Value::Rational(vec![rat(48), rat(51), rat(0)])),
        field(Tag::GPSLongitudeRef, ascii("E")),
        field(Tag::GPSLongitude, Value::Rational(vec![rat(2), rat(21), rat(0)])),
    ];
    let mut w = exif::experimental::Writer::new();
    for f in &fields {
        w.push_field(f);
    }
    w.set_jpeg(&thumb, In::THUMBNAIL);
    let mut tiff = Cursor::new(Vec::new());
    w.write(&mut tiff, false).unwrap();

    let mut jpeg = Jpeg::from_bytes(jpeg_bytes(&upright(96, 64), 90, None, None).into()).unwrap();
    jpeg.set_exif(Some(tiff.into_inner().into()));
    let xmp = [&b"http://ns.adobe.com/xap/1.0/\0"[..], XMP.as_bytes()].concat();
    let mut irb = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
    irb.extend_from_slice(&(IPTC.len() as u32).to_be_bytes());
    irb.extend_from_slice(IPTC);
    jpeg.segments_mut().insert(2, JpegSegment::new_with_contents(0xE1, xmp.into()));
    jpeg.segments_mut().insert(3, JpegSegment::new_with_contents(0xED, irb.into()));
    fs::write(path, jpeg.encoder().bytes()).unwrap();
}

fn exif_of(path: &Path) -> Option<exif::Exif> {
    let bytes = fs::read(path).unwrap();
    exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()
}

fn text(e: &exif::Exif, tag: Tag) -> Option<String> {
    e.get_field(tag, In::PRIMARY).map(|f| f.display_value().to_string())
}

fn uint(e: &exif::Exif, tag: Tag) -> Option<u32> {
    e.get_field(tag, In::PRIMARY).and_then(|f| f.value.get_uint(0))
}

/// An AVIF's size from its `ispe` box (`image` here reads no AVIF).
fn avif_size(path: &Path) -> (u32, u32) {
    let b = fs::read(path).unwrap();
    let at = b.windows(4).position(|w| w == b"ispe").expect("ispe box") + 8;
    let be = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    (be(at), be(at + 4))
}

fn run(dir: &Path, format: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(format!("out-{format}{}", extra.join("")));
    bin()
        .args(["thumbs", "--sizes", "48", "--format", format, "-o"])
        .arg(&out)
        .arg(dir.join("in"))
        .args(extra)
        .assert()
        .success();
    let ext = if format == "jpeg" { "jpg" } else { format };
    out.join(format!("photo_48.{ext}"))
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("in")).unwrap();
    photo(&dir.path().join("in/photo.jpg"));
    dir
}

#[test]
fn exif_is_kept_turned_upright_resized_and_without_thumbnail_in_every_format() {
    let dir = setup();
    for format in ["jpeg", "png", "webp", "avif"].into_iter().filter(|f| *f != "avif" || AVIF_ENCODER) {
        let out = run(dir.path(), format, &["--keep-metadata"]);
        let (w, h) = if format == "avif" { avif_size(&out) } else { image::image_dimensions(&out).unwrap() };
        // Turned by Orientation 6: 64 wide, 96 high, fit in 48.
        assert_eq!((w, h), (32, 48), "{format}");
        let e = exif_of(&out).unwrap_or_else(|| panic!("{format}: no EXIF"));
        assert_eq!(text(&e, Tag::Make).as_deref(), Some("\"Canon\""), "{format}");
        assert_eq!(text(&e, Tag::Copyright).as_deref(), Some("\"(c) Anne Photographer\""), "{format}");
        assert!(text(&e, Tag::DateTimeOriginal).is_some_and(|d| d.contains("2024-05-01 10:20:30")), "{format}");
        assert_eq!(uint(&e, Tag::Orientation), Some(1), "{format}");
        assert_eq!((uint(&e, Tag::PixelXDimension), uint(&e, Tag::PixelYDimension)), (Some(32), Some(48)), "{format}");
        assert!(e.get_field(Tag::GPSLatitude, In::PRIMARY).is_some(), "{format}: GPS kept without --strip-gps");
        assert!(e.fields().all(|f| f.ifd_num == In::PRIMARY), "{format}: thumbnail IFD kept");
        assert!(e.get_field(Tag::MakerNote, In::PRIMARY).is_none(), "{format}: MakerNote kept");
    }
}

#[test]
fn strip_gps_removes_location_from_exif_and_xmp_and_keeps_the_rest() {
    let dir = setup();
    for format in ["jpeg", "webp"] {
        let out = run(dir.path(), format, &["--keep-metadata", "--strip-gps"]);
        let e = exif_of(&out).unwrap();
        assert!(e.fields().all(|f| !matches!(f.tag, Tag(exif::Context::Gps, _))), "{format}: GPS left");
        assert!(text(&e, Tag::Copyright).is_some(), "{format}");
        let bytes = fs::read(&out).unwrap();
        let s = String::from_utf8_lossy(&bytes);
        assert!(s.contains("Anne Photographer") && !s.contains("GPSLatitude"), "{format}: XMP");
    }
}

#[test]
fn xmp_says_upright_and_iptc_is_carried_into_jpeg() {
    let dir = setup();
    let out = run(dir.path(), "jpeg", &["--keep-metadata"]);
    let jpeg = Jpeg::from_bytes(Bytes::from(fs::read(&out).unwrap())).unwrap();
    let xmp = jpeg
        .segments()
        .iter()
        .find_map(|s| s.contents().strip_prefix(b"http://ns.adobe.com/xap/1.0/\0").map(<[u8]>::to_vec))
        .expect("XMP segment");
    let xmp = String::from_utf8(xmp).unwrap();
    assert!(xmp.contains(r#"tiff:Orientation="1""#) && !xmp.contains(r#"tiff:Orientation="6""#), "{xmp}");
    assert!(xmp.contains("exif:GPSLatitude"), "GPS stays without --strip-gps");
    let app13 = jpeg.segments().iter().find(|s| s.marker() == 0xED).expect("APP13");
    assert!(app13.contents().windows(IPTC.len()).any(|w| w == IPTC));
    // PNG carries XMP in iTXt.
    let png = fs::read(run(dir.path(), "png", &["--keep-metadata"])).unwrap();
    let at = png.windows(4).position(|w| w == b"iTXt").expect("iTXt chunk");
    assert!(png[at..].starts_with(b"iTXtXML:com.adobe.xmp\0"));
    assert!(String::from_utf8_lossy(&png[at..]).contains(r#"tiff:Orientation="1""#));
}

#[test]
fn by_default_no_metadata_is_written() {
    let dir = setup();
    for format in ["jpeg", "png", "webp", "avif"].into_iter().filter(|f| *f != "avif" || AVIF_ENCODER) {
        let out = run(dir.path(), format, &[]);
        assert!(exif_of(&out).is_none(), "{format}: EXIF written without --keep-metadata");
        let bytes = fs::read(&out).unwrap();
        let s = String::from_utf8_lossy(&bytes);
        assert!(!s.contains("Anne") && !s.contains("xmpmeta"), "{format}");
    }
    // --strip-gps alone is refused: it only means something when keeping.
    bin()
        .args(["thumbs", "--sizes", "48", "--strip-gps", "-o"])
        .arg(dir.path().join("x"))
        .arg(dir.path().join("in"))
        .assert()
        .code(2);
}

/// An XMP packet in the spellings `--strip-gps` once let through (the exif
/// namespace under another prefix, single quotes, a tab before an
/// attribute, a comment quoting a GPS property first, an end tag with a
/// space), with a copyright that must survive, and `pad` bytes of
/// description.
fn awkward_xmp(pad: usize) -> String {
    format!(
        "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\
<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/' xmlns:ex='http://ns.adobe.com/exif/1.0/'\tex:GPSLatitude='48,51.0N'>\
<!-- <exif:GPSLongitude> follows --><ex:GPSLongitude >2,21.0E</ex:GPSLongitude ><ex:GPSAltitude>35/1</ex:GPSAltitude >\
<dc:rights><rdf:Alt><rdf:li xml:lang='x-default'>Copyright Anne Photographer</rdf:li></rdf:Alt></dc:rights>\
<dc:description><rdf:Alt><rdf:li xml:lang='x-default'>{}</rdf:li></rdf:Alt></dc:description>\
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>",
        "d".repeat(pad)
    )
}

/// A 64x48 PNG carrying `xmp` in an iTXt chunk.
fn png_with_xmp(path: &Path, xmp: &str) {
    let mut png = Vec::new();
    upright(64, 48).write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let mut png = img_parts::png::Png::from_bytes(png.into()).unwrap();
    let itxt = [&b"XML:com.adobe.xmp\0\0\0\0\0"[..], xmp.as_bytes()].concat();
    png.chunks_mut().insert(1, img_parts::png::PngChunk::new(*b"iTXt", itxt.into()));
    fs::write(path, png.encoder().bytes()).unwrap();
}

#[test]
fn strip_gps_leaves_no_location_in_any_spelling_and_keeps_the_rest_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("in")).unwrap();
    png_with_xmp(&dir.path().join("in/photo.png"), &awkward_xmp(10));
    for format in ["jpeg", "png", "webp"] {
        let out = fs::read(run(dir.path(), format, &["--keep-metadata", "--strip-gps"])).unwrap();
        let s = String::from_utf8_lossy(&out);
        assert!(!s.contains("GPS") && !s.contains("48,51") && !s.contains("2,21"), "{format}: location left");
        assert!(s.contains("Copyright Anne Photographer") && s.contains("xpacket end"), "{format}: packet cut");
    }
}

#[test]
fn metadata_too_big_for_a_jpeg_segment_is_left_out_with_a_warning_not_the_image() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("in")).unwrap();
    png_with_xmp(&dir.path().join("in/photo.png"), &awkward_xmp(70_000));
    let out = dir.path().join("out");
    let o = bin()
        .args(["thumbs", "--sizes", "48", "--format", "jpeg", "--keep-metadata", "--json", "-o"])
        .arg(&out)
        .arg(dir.path().join("in"))
        .assert()
        .success();
    let r = common::json(&o.get_output().stdout);
    let e = common::entry(&r, "photo.png");
    assert_eq!(e["status"], "ok");
    let warning = e["warning"].as_str().unwrap();
    assert!(
        warning.starts_with("XMP of") && warning.ends_with("does not fit a JPEG segment (64 KiB): left out"),
        "{e}"
    );
    assert_eq!(image::image_dimensions(out.join("photo_48.jpg")).unwrap(), (48, 36));
    // PNG and WebP have room for it: kept whole.
    for format in ["png", "webp"] {
        let bytes = fs::read(run(dir.path(), format, &["--keep-metadata"])).unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains(&"d".repeat(70_000)), "{format}");
    }
}
