//! Hostile files made on the spot: metadata bombs, pixel bombs, files too
//! large to read, JPEGs cut short that still end with EOI, JPEGs with too
//! many scans, a GIF frame outside its screen. Small on disk (a few MB at
//! most), large in what they would cost a careless decoder.

use std::fs::File;
use std::io::Write;
use std::path::Path;

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// A zlib stream of `len` zero bytes, compressed as it goes.
fn zeros_zlib(len: u64) -> Vec<u8> {
    let mut c = fdeflate::Compressor::new(Vec::new()).unwrap();
    let block = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        c.write_data(&block[..n]).unwrap();
        left -= n as u64;
    }
    c.finish().unwrap()
}

/// An RGB PNG of `w`x`h` black pixels, optionally with an `iCCP` chunk
/// whose profile inflates to `icc_inflated` bytes.
pub fn png(w: u32, h: u32, icc_inflated: Option<u64>) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    if let Some(n) = icc_inflated {
        let mut iccp = b"bomb\0\0".to_vec();
        iccp.extend(zeros_zlib(n));
        chunk(&mut out, b"iCCP", &iccp);
    }
    // Each row: filter byte 0, then 3 zero bytes per pixel.
    chunk(&mut out, b"IDAT", &zeros_zlib((1 + 3 * w as u64) * h as u64));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A valid JPEG header followed by a hole: `len` bytes on paper, nothing on disk.
pub fn sparse_jpeg(path: &Path, len: u64) {
    let mut f = File::create(path).unwrap();
    f.write_all(&super::jpeg_bytes(&super::upright(64, 48), 90, None, None)).unwrap();
    f.set_len(len).unwrap();
}

/// A progressive JPEG (jpeg-encoder's scan script).
pub fn progressive_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = super::upright(w, h);
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
    enc.set_progressive(true);
    enc.encode(img.as_raw(), w as u16, h as u16, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// `jpeg` with its entropy-coded data cut to `fraction` of its length (from
/// the first scan to the end) and an EOI marker put back after the cut.
pub fn cut_keeping_eoi(jpeg: &[u8], fraction: f64) -> Vec<u8> {
    let sos = jpeg.windows(2).position(|m| m == [0xFF, 0xDA]).unwrap();
    let end = jpeg.len() - 2;
    let mut cut = jpeg[..sos + ((end - sos) as f64 * fraction) as usize].to_vec();
    if cut.last() == Some(&0xFF) {
        cut.pop();
    }
    cut.extend_from_slice(&[0xFF, 0xD9]);
    cut
}

/// `jpeg` with the entropy-coded data of its scan number `k` (from 0) cut
/// to half, and everything after that scan kept: damage inside a file
/// that goes on, not a file cut short.
pub fn scan_cut_short(jpeg: &[u8], k: usize) -> Vec<u8> {
    let sos = jpeg.windows(2).enumerate().filter(|(_, m)| *m == [0xFF, 0xDA]).nth(k).unwrap().0;
    let start = sos + 2 + u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]) as usize;
    // The next marker: 0xFF followed by neither a stuffed zero nor a restart.
    let next =
        (start..jpeg.len() - 1).find(|&i| jpeg[i] == 0xFF && !matches!(jpeg[i + 1], 0x00 | 0xD0..=0xD7)).unwrap();
    assert!(next < jpeg.len() - 2, "scan {k} is the last one");
    let mut half = start + (next - start) / 2;
    if jpeg[half - 1] == 0xFF {
        half -= 1;
    }
    [&jpeg[..half], &jpeg[next..]].concat()
}

/// A baseline JPEG whose one scan is repeated until it has `scans` scans.
pub fn jpeg_with_scans(scans: usize) -> Vec<u8> {
    let j = super::jpeg_bytes(&super::upright(64, 48), 90, None, None);
    let sos = j.windows(2).position(|m| m == [0xFF, 0xDA]).unwrap();
    let end = j.len() - 2;
    let mut v = j[..sos].to_vec();
    for _ in 0..scans {
        v.extend_from_slice(&j[sos..end]);
    }
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// A GIF whose only frame (4x4 at 8,20) lies outside its 10x10 screen and
/// whose image data stops after one block.
pub fn gif_frame_outside_cut() -> Vec<u8> {
    let mut v = Vec::new();
    {
        let mut e = gif::Encoder::new(&mut v, 10, 10, &[0, 0, 0, 255, 255, 255]).unwrap();
        let mut f = gif::Frame::default();
        (f.left, f.top, f.width, f.height) = (8, 20, 40, 40);
        f.buffer = std::borrow::Cow::Owned((0..1600).map(|i| (i % 7 == 0) as u8).collect());
        e.write_frame(&f).unwrap();
    }
    // The image descriptor (',' left=8 top=20), then the LZW minimum code
    // size and the data sub-blocks: keep half of the first one.
    let at = v.windows(5).position(|w| w == [0x2C, 8, 0, 20, 0]).unwrap();
    let start = at + 10;
    let first_block = v[start + 1] as usize;
    v.truncate(start + 2 + first_block / 2);
    v.extend_from_slice(&[0x00, 0x3B]);
    v
}

/// A JPEG XL codestream header (found by the fuzzer) followed by zeros, which
/// jxl-oxide reads as a chain of empty frames: 175,000 of them in 1 MiB, whose
/// recursive drop overflowed a worker's stack and aborted the run.
pub fn jxl_frame_chain() -> Vec<u8> {
    let mut v = vec![
        0xff, 0x0a, 0xc5, 0x40, 0x08, 0x6f, 0x0d, 0x03, 0x12, 0xe6, 0x01, 0x90, 0x9a, 0xa2, 0x02, 0xc3, 0x4b, 0xf3,
        0x3a, 0x3a, 0x6d, 0x7a, 0x8d, 0xf9, 0x30, 0xe6, 0x30, 0x68, 0x88, 0x6d, 0x6c, 0xc4, 0x80, 0x9b, 0xcc, 0x53,
        0x8f, 0x61, 0xcf, 0x27, 0x07, 0x09, 0x06, 0x14, 0x19, 0xc2, 0x9d, 0x6d, 0xdc, 0xda, 0xee, 0x6c, 0x12, 0x47,
        0xd7, 0xd6, 0x90, 0xa3, 0xa3, 0xa3, 0x4b, 0x6b, 0x38, 0x80, 0xac, 0xa3, 0xad, 0x33, 0x02, 0x7c, 0xc5, 0x73,
        0x6a, 0xce, 0xb8, 0xcc, 0x35, 0x26, 0xb0, 0x01, 0x18, 0xf0, 0x7f, 0x61, 0x69, 0xc5, 0xd7, 0x2c, 0x0e, 0x75,
        0x9d, 0xb8, 0xca, 0x65, 0x67, 0x25, 0x0f, 0x85, 0x01, 0x8a, 0xd6, 0x38, 0x35, 0x83, 0x3b, 0x41, 0xe1, 0xc8,
        0xcd, 0x51, 0x54, 0xd9, 0x96, 0x0f, 0x3b, 0x40, 0xa3, 0xae, 0x20, 0xe5, 0x0e, 0x32, 0x35, 0xa1, 0x4c, 0x1a,
        0x18, 0xa3, 0xf9, 0xba, 0xc8, 0x01, 0x08, 0x02, 0x01, 0x00, 0x68, 0x00, 0x4b, 0x18, 0x8b, 0x15, 0x00, 0xd4,
        0x13, 0x63, 0x8c, 0x13, 0xe3, 0xcc, 0x05, 0x22, 0x00, 0x10, 0x24, 0x69, 0x01, 0x08, 0x20, 0x80, 0x3c, 0x92,
        0x01, 0x14,
    ];
    v.resize(1 << 20, 0);
    v
}

/// An ISOBMFF box: size, type, then its contents.
fn bmff_box(kind: &[u8; 4], contents: &[u8]) -> Vec<u8> {
    let mut b = ((8 + contents.len()) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(contents);
    b
}

/// The `ftyp` a Canon CR3 starts with.
fn cr3_ftyp() -> Vec<u8> {
    bmff_box(b"ftyp", b"crx \0\0\0\x01crx isom")
}

/// A 100-byte CR3 whose `CMT1` box declares a 64-bit size of 2^62 bytes:
/// rawler allocates that much before reading it, and a failed allocation
/// aborts the process that tries.
pub fn cr3_huge_box() -> Vec<u8> {
    const CR3_DESC: [u8; 16] =
        [0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48];
    let mut cmt1 = 1u32.to_be_bytes().to_vec();
    cmt1.extend_from_slice(b"CMT1");
    cmt1.extend_from_slice(&(1u64 << 62).to_be_bytes());
    cmt1.extend_from_slice(b"II*\0\x08\0\0\0");
    let mut desc = CR3_DESC.to_vec();
    desc.extend_from_slice(&cmt1);
    let mut f = cr3_ftyp();
    f.extend(bmff_box(b"moov", &bmff_box(b"uuid", &desc)));
    f
}

/// A CR3 whose `moov` holds a box of size 0: rawler's box walk never moves
/// on and keeps allocating a record per step, without end.
pub fn cr3_zero_box() -> Vec<u8> {
    let mut inner = 0u32.to_be_bytes().to_vec();
    inner.extend_from_slice(b"free");
    inner.extend_from_slice(&[0; 8]);
    let mut f = cr3_ftyp();
    f.extend(bmff_box(b"moov", &inner));
    f
}

/// A 62-byte NEF (TIFF with Nikon's Make) whose first IFD names itself as
/// the next: rawler's decoder lookup walks the chain for ever, allocating
/// as it goes (1.9 GB in the 5 s before a thread's timeout).
pub fn nef_self_ifd() -> Vec<u8> {
    let make = b"NIKON CORPORATION\0";
    let data = 8 + 2 + 2 * 12 + 4;
    let mut f = b"II*\0\x08\0\0\0\x02\0".to_vec();
    for (tag, len, at) in [(0x10f_u16, make.len(), data), (0x110, 6, data + make.len())] {
        f.extend_from_slice(&tag.to_le_bytes());
        f.extend_from_slice(&2u16.to_le_bytes());
        f.extend_from_slice(&(len as u32).to_le_bytes());
        f.extend_from_slice(&(at as u32).to_le_bytes());
    }
    f.extend_from_slice(&8u32.to_le_bytes());
    f.extend_from_slice(make);
    f.extend_from_slice(b"D850\0\0");
    f
}
