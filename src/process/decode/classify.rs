//! Why a decode failed, decided from types and from the file's structure,
//! never from the words of a dependency's message (which change between
//! versions and differ between decoders): a file is truncated when an I/O
//! error in the error's chain says the data ran out, or when the file's own
//! framing (PNG chunks, GIF blocks, the RIFF or BMP size field) runs past
//! its end. Anything else is corrupt, with the decoder's message made fit to
//! read on one line.

use std::error::Error;
use std::io::ErrorKind;

use image::ImageError;

use super::InFormat;
use crate::error::FileError;
use crate::read::Source;

/// Whether an error, or any error it was caused by, is the data running out:
/// an I/O error of that kind, or a decoder's own variant for it.
pub(crate) fn ran_out(e: &(dyn Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        let eof = match (e.downcast_ref::<std::io::Error>(), e.downcast_ref::<ImageError>()) {
            (Some(io), _) | (_, Some(ImageError::IoError(io))) => io.kind() == ErrorKind::UnexpectedEof,
            _ => matches!(e.downcast_ref::<gif::DecodingError>(), Some(gif::DecodingError::UnexpectedEof)),
        };
        if eof {
            return true;
        }
        next = e.source();
    }
    false
}

/// Whether the file's framing says it is cut short: well-formed from its
/// start (PNG chunks from IHDR on, GIF blocks), with a chunk or block that
/// runs past the end and no end marker. Damaged framing is not judged (the
/// decoder's reason stands), nor are formats without such framing (TIFF
/// points anywhere in the file).
pub(crate) fn cut_short(format: InFormat, b: &[u8]) -> bool {
    match format {
        InFormat::Png => png_cut_short(&mut { b }),
        InFormat::Gif => gif_cut_short(b),
        _ => false,
    }
}

/// Chunks (length, type, data, CRC) from the signature on, up to IEND; in
/// memory or walked through a window onto the file.
pub(crate) fn png_cut_short<S: Source>(b: &mut S) -> bool {
    if b.at(0, 16).get(12..16) != Some(b"IHDR") {
        return false;
    }
    let mut at = 8usize;
    loop {
        let Some(head) = b.at(at, 8).get(..8).and_then(|h| <[u8; 8]>::try_from(h).ok()) else { return true };
        if !head[4..8].iter().all(u8::is_ascii_alphabetic) {
            return false;
        }
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let end = at.saturating_add(12).saturating_add(len);
        if end > b.size() {
            return true;
        }
        if &head[4..8] == b"IEND" {
            return false;
        }
        at = end;
    }
}

/// Header, screen, colour table, then extension and image blocks (each a
/// chain of sub-blocks) up to the trailer.
fn gif_cut_short(b: &[u8]) -> bool {
    let table = |packed: u8| if packed & 0x80 != 0 { 3usize << ((packed & 7) + 1) } else { 0 };
    if !b.starts_with(b"GIF8") {
        return false;
    }
    let Some(&screen) = b.get(10) else { return true };
    let mut at = 13 + table(screen);
    let sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let size = *b.get(at)? as usize;
            at += 1 + size;
            if size == 0 {
                return Some(at);
            }
        }
    };
    loop {
        let next = match b.get(at) {
            None => return true,
            Some(0x3B) => return false,
            Some(0x21) => sub_blocks(at + 2),
            Some(0x2C) => match b.get(at + 9) {
                // Descriptor, local table, LZW code size, then the data.
                Some(&packed) => sub_blocks(at + 10 + table(packed) + 1),
                None => return true,
            },
            // An unknown block is damage, not a cut: the decoder's error stands.
            Some(_) => return false,
        };
        match next {
            Some(n) => at = n,
            None => return true,
        }
    }
}

/// The reason a person reads for an `image` decoder's error on `bytes`.
pub(crate) fn image_error(e: ImageError, format: InFormat, bytes: &[u8]) -> FileError {
    let name = format.name();
    match e {
        ImageError::Unsupported(u) => FileError::Unsupported(tidy(&u.to_string())),
        ImageError::Limits(l) => FileError::Unsupported(format!("exceeds decoder limits ({l})")),
        e if ran_out(&e) || cut_short(format, bytes) => FileError::Truncated(name),
        ImageError::Decoding(d) => FileError::Corrupt { format: name, detail: tidy(&d.to_string()) },
        other => FileError::Corrupt { format: name, detail: tidy(&other.to_string()) },
    }
}

/// Longest detail kept from a decoder's message.
const MAX_DETAIL: usize = 160;

/// A decoder's message on one short line: `Format error decoding Png:` and
/// the like dropped (the format is named already), `ChunkType { type: IDAT,
/// critical: … }` shortened to `IDAT`, line breaks joined, and the length
/// capped (one message listed 300 bits-per-sample values).
pub(crate) fn tidy(message: &str) -> String {
    let mut s = match message.split_once(": ") {
        Some((head, rest)) if head.starts_with("Format error") => rest,
        _ => message,
    }
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ");
    // The Debug form of png's chunk type; a damaged type may itself hold
    // braces (`\u{81}`), so the end is the field list's closing ` }`.
    const CHUNK: &str = "ChunkType { type: ";
    while let Some(start) = s.find(CHUNK) {
        let Some(end) = s[start..].find(" }").map(|e| start + e + 2) else { break };
        let fields = &s[start + CHUNK.len()..end];
        let name = fields.split(", critical").next().unwrap_or(fields).to_string();
        s.replace_range(start..end, &name);
    }
    if s.chars().count() > MAX_DETAIL {
        s = s.chars().take(MAX_DETAIL).collect::<String>() + "…";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32) -> Vec<u8> {
        let mut v = Vec::new();
        let img = image::RgbImage::from_fn(w, w, |x, y| image::Rgb([x as u8, y as u8, 7]));
        img.write_to(&mut std::io::Cursor::new(&mut v), image::ImageFormat::Png).unwrap();
        v
    }

    #[test]
    fn a_png_or_gif_cut_anywhere_is_cut_short_and_a_whole_one_is_not() {
        let p = png(40);
        assert!(!png_cut_short(&mut &p[..]));
        for cut in [20, 33, p.len() / 2, p.len() - 1] {
            assert!(png_cut_short(&mut &p[..cut]), "PNG cut at {cut}");
        }
        // Before IHDR is known the file is not judged: the decoder's reason stands.
        assert!(!png_cut_short(&mut &p[..9]));
        let mut g = Vec::new();
        image::RgbaImage::from_fn(30, 20, |x, _| image::Rgba([x as u8 * 8, 0, 0, 255]))
            .write_to(&mut std::io::Cursor::new(&mut g), image::ImageFormat::Gif)
            .unwrap();
        assert!(!gif_cut_short(&g));
        for cut in [5, 13, g.len() / 2, g.len() - 1] {
            assert!(gif_cut_short(&g[..cut]), "GIF cut at {cut}");
        }
    }

    #[test]
    fn the_run_out_is_found_however_deep_in_the_chain() {
        let eof = || std::io::Error::from(ErrorKind::UnexpectedEof);
        let decoding = |e: Box<dyn Error + Send + Sync>| {
            image::ImageError::Decoding(image::error::DecodingError::new(image::ImageFormat::Gif.into(), e))
        };
        assert!(ran_out(&image::ImageError::IoError(eof())));
        assert!(ran_out(&decoding(Box::new(eof()))));
        assert!(ran_out(&decoding(Box::new(gif::DecodingError::Io(eof())))));
        assert!(ran_out(&decoding(Box::new(gif::DecodingError::UnexpectedEof))));
        assert!(!ran_out(&decoding(Box::new(gif::DecodingError::EndCodeNotFound))));
        assert!(!ran_out(&image::ImageError::IoError(std::io::Error::from(ErrorKind::InvalidData))));
    }

    #[test]
    fn a_truncated_png_is_named_so_whatever_the_decoder_says() {
        let p = png(64);
        let cut = &p[..p.len() * 2 / 3];
        let err = image::load_from_memory_with_format(cut, image::ImageFormat::Png).unwrap_err();
        assert!(matches!(image_error(err, InFormat::Png, cut), FileError::Truncated("PNG")));
        // A damaged but whole file is corrupt, with the decoder's reason.
        let mut bad = p.clone();
        bad[40] ^= 0xFF;
        let err = image::load_from_memory_with_format(&bad, image::ImageFormat::Png).unwrap_err();
        assert!(matches!(image_error(err, InFormat::Png, &bad), FileError::Corrupt { format: "PNG", .. }));
    }

    #[test]
    fn messages_come_out_on_one_short_line() {
        let m = "Format error decoding Png: ChunkType { type: IDAT, critical: true, private: false } chunk appeared before IHDR chunk";
        assert_eq!(tidy(m), "IDAT chunk appeared before IHDR chunk");
        let odd = "ChunkType { type: \u{81}x, critical: false, safecopy: true } chunk appeared before IHDR chunk";
        assert_eq!(tidy(odd), "\u{81}x chunk appeared before IHDR chunk");
        assert_eq!(
            tidy("I/O errors Not enough bytes, expected 5 but found 2\n"),
            "I/O errors Not enough bytes, expected 5 but found 2"
        );
        let long = format!("bits per sample {:?} is unsupported", [83u8; 300]);
        let t = tidy(&long);
        assert!(t.chars().count() == MAX_DETAIL + 1 && t.ends_with('…'), "{t}");
    }
}
