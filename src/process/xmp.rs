//! An XMP packet rewritten for an output, by an XML parser that resolves
//! namespaces (quick-xml): `tiff:Orientation` set to 1, and with
//! `--strip-gps` every GPS property of the EXIF namespace removed, whatever
//! prefix the packet binds that namespace to and whether the property is an
//! attribute or an element (with its whole content). Everything else is
//! written back event by event. A packet that is not well-formed XML with
//! every prefix declared is refused whole: never half-edited.

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, Writer};

/// The EXIF namespace, where XMP keeps the GPS properties (`GPSLatitude`…).
const EXIF_NS: &[u8] = b"http://ns.adobe.com/exif/1.0/";
/// The TIFF namespace, where XMP keeps `Orientation`.
const TIFF_NS: &[u8] = b"http://ns.adobe.com/tiff/1.0/";

/// Why a packet was not rewritten.
#[derive(Debug, thiserror::Error)]
pub(crate) enum XmpError {
    /// Not well-formed XML.
    #[error("XMP packet is not well-formed XML ({0})")]
    Xml(#[from] quick_xml::Error),
    /// An attribute that does not parse.
    #[error("XMP packet has a malformed attribute ({0})")]
    Attribute(#[from] quick_xml::events::attributes::AttrError),
    /// A prefix used without a declaration: the property's meaning is unknown.
    #[error("XMP packet uses the undeclared prefix {0:?}")]
    Undeclared(String),
    /// Ends inside an element, or closes one never opened.
    #[error("XMP packet ends inside an element")]
    Unclosed,
    /// Writing it back failed (cannot happen on a Vec).
    #[error("XMP packet could not be written: {0}")]
    Write(std::io::Error),
}

/// What a property is, by its namespace and local name.
#[derive(PartialEq)]
enum Kind {
    Gps,
    Orientation,
    Other,
}

fn kind(ns: &ResolveResult, local: &[u8]) -> Result<Kind, XmpError> {
    match ns {
        ResolveResult::Bound(Namespace(n)) if *n == EXIF_NS && local.starts_with(b"GPS") => Ok(Kind::Gps),
        ResolveResult::Bound(Namespace(n)) if *n == TIFF_NS && local == b"Orientation" => Ok(Kind::Orientation),
        ResolveResult::Unknown(prefix) => Err(XmpError::Undeclared(String::from_utf8_lossy(prefix).into_owned())),
        _ => Ok(Kind::Other),
    }
}

/// `start` with its GPS attributes left out (when `strip_gps`) and an
/// Orientation attribute set to 1.
fn attributes(reader: &NsReader<&[u8]>, start: &BytesStart, strip_gps: bool) -> Result<BytesStart<'static>, XmpError> {
    let mut out = BytesStart::new(String::from_utf8_lossy(start.name().as_ref()).into_owned());
    for attr in start.attributes() {
        let attr = attr?;
        let (ns, local) = reader.resolve_attribute(attr.key);
        // xmlns declarations resolve to the xmlns namespace: kept.
        match kind(&ns, local.as_ref())? {
            Kind::Gps if strip_gps => {}
            Kind::Orientation => out.push_attribute(Attribute { key: attr.key, value: b"1".as_slice().into() }),
            // Written back in double quotes: a single-quoted value may hold one.
            _ if attr.value.contains(&b'"') => {
                let value: Vec<u8> =
                    attr.value.iter().flat_map(|&b| if b == b'"' { b"&quot;".to_vec() } else { vec![b] }).collect();
                out.push_attribute(Attribute { key: attr.key, value: value.into() })
            }
            _ => out.push_attribute(attr),
        }
    }
    Ok(out)
}

/// The packet for an output (see the module comment).
pub(crate) fn rewrite(xmp: &str, strip_gps: bool) -> Result<String, XmpError> {
    let mut reader = NsReader::from_str(xmp);
    let mut writer = Writer::new(Vec::with_capacity(xmp.len()));
    // Open elements, and how many of them are a removed GPS element's.
    let (mut depth, mut skipping) = (0usize, 0usize);
    // Inside an Orientation element: its text becomes 1.
    let mut orientation = false;
    loop {
        let (ns, event) = reader.read_resolved_event()?;
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.checked_sub(1).ok_or(XmpError::Unclosed)?,
            Event::Eof if depth > 0 => return Err(XmpError::Unclosed),
            Event::Eof => break,
            _ => {}
        }
        if skipping > 0 {
            match event {
                Event::Start(_) => skipping += 1,
                Event::End(_) => skipping -= 1,
                _ => {}
            }
            continue;
        }
        let write = match event {
            Event::Start(e) => match kind(&ns, e.local_name().as_ref())? {
                Kind::Gps if strip_gps => {
                    skipping = 1;
                    continue;
                }
                k => {
                    orientation = k == Kind::Orientation;
                    Event::Start(attributes(&reader, &e, strip_gps)?)
                }
            },
            Event::Empty(e) => match kind(&ns, e.local_name().as_ref())? {
                Kind::Gps if strip_gps => continue,
                _ => Event::Empty(attributes(&reader, &e, strip_gps)?),
            },
            Event::End(e) => {
                orientation = false;
                Event::End(e.into_owned())
            }
            Event::Text(_) if orientation => Event::Text(BytesText::new("1")),
            // A comment can quote anything, coordinates included.
            Event::Comment(_) if strip_gps => continue,
            e => e.into_owned(),
        };
        writer.write_event(write).map_err(XmpError::Write)?;
    }
    Ok(String::from_utf8_lossy(&writer.into_inner()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RDF: &str = r#"xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#""#;

    fn packet(body: &str) -> String {
        format!(
            r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}>{body}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#
        )
    }

    /// The spellings `--strip-gps` once let through, each in a packet that
    /// also holds a copyright and a capture date that must survive.
    #[test]
    fn every_gps_property_goes_whatever_its_spelling_and_the_rest_stays() {
        let keep =
            r#"<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© A. Photographer</rdf:li></rdf:Alt></dc:rights>"#;
        let dc = r#"xmlns:dc="http://purl.org/dc/elements/1.1/""#;
        let cases = [
            // The exif namespace bound to another prefix.
            format!(
                r#"<rdf:Description {dc} xmlns:ex="http://ns.adobe.com/exif/1.0/" ex:GPSLatitude="48,51.0N" ex:DateTimeOriginal="2024-05-01T10:00:00"><ex:GPSAltitude>35/1</ex:GPSAltitude>{keep}</rdf:Description>"#
            ),
            // Single quotes, and a tab before the attribute.
            format!(
                "<rdf:Description {dc} xmlns:exif='http://ns.adobe.com/exif/1.0/'\texif:GPSLongitude='2,21.0E' exif:DateTimeOriginal='2024-05-01T10:00:00'>{keep}</rdf:Description>"
            ),
            // A comment that quotes the property before the real one.
            format!(
                r#"<rdf:Description {dc} xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:DateTimeOriginal="2024-05-01T10:00:00"><!-- <exif:GPSLatitude> 48,51.0N --><exif:GPSLatitude>48,51.0N</exif:GPSLatitude>{keep}</rdf:Description>"#
            ),
            // An end tag with a space, and a GPS structure with children.
            format!(
                r#"<rdf:Description {dc} xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:DateTimeOriginal="2024-05-01T10:00:00"><exif:GPSAltitude >35/1</exif:GPSAltitude ><exif:GPSDestBearing><rdf:Seq><rdf:li>12/1</rdf:li></rdf:Seq></exif:GPSDestBearing>{keep}</rdf:Description>"#
            ),
            // The default namespace is exif's.
            format!(
                r#"<rdf:Description {dc}><GPSLatitude xmlns="http://ns.adobe.com/exif/1.0/">48,51.0N</GPSLatitude><DateTimeOriginal xmlns="http://ns.adobe.com/exif/1.0/">2024-05-01T10:00:00</DateTimeOriginal>{keep}</rdf:Description>"#
            ),
        ];
        for body in cases {
            let xmp = packet(&body);
            let out = rewrite(&xmp, true).unwrap();
            assert!(!out.contains("GPS") && !out.contains("48,51") && !out.contains("2,21"), "{out}");
            assert!(out.contains("© A. Photographer") && out.contains("2024-05-01T10:00:00"), "{out}");
            assert!(out.starts_with("<?xpacket begin") && out.ends_with(r#"<?xpacket end="w"?>"#), "{out}");
            // Without the flag, only the orientation would change: all of it stays.
            assert!(rewrite(&xmp, false).unwrap().contains("GPS"));
        }
    }

    #[test]
    fn a_single_quoted_value_with_a_double_quote_stays_well_formed() {
        let xmp =
            packet(r#"<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:source='the "lake" series'/>"#);
        let out = rewrite(&xmp, true).unwrap();
        assert!(out.contains(r#"dc:source="the &quot;lake&quot; series""#), "{out}");
        assert_eq!(rewrite(&out, true).unwrap(), out, "reads back as it was written");
    }

    #[test]
    fn orientation_becomes_1_as_attribute_and_as_element() {
        let xmp = packet(
            r#"<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"><tiff:Orientation>8</tiff:Orientation></rdf:Description>"#,
        );
        let out = rewrite(&xmp, false).unwrap();
        assert!(
            out.contains(r#"tiff:Orientation="1""#) && out.contains("<tiff:Orientation>1</tiff:Orientation>"),
            "{out}"
        );
    }

    #[test]
    fn a_packet_that_is_not_xml_is_refused_not_half_edited() {
        for bad in [
            packet(
                r#"<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/"><exif:GPSLatitude>1</rdf:Description>"#,
            ),
            packet(r#"<rdf:Description exif:GPSLatitude="1"/>"#),
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF".to_string(),
        ] {
            assert!(rewrite(&bad, true).is_err(), "{bad}");
        }
    }
}
