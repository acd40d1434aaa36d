//! Every fact about an image format, in one table: how to recognise it,
//! the names it goes by, whether this build reads or writes it, how costly
//! its bytes are, and what an output in it is called. The walker's
//! extensions, the sniffer, the cost classes, `--format` and the error for
//! a format imgbatch does not read are all derived from [`INPUTS`] and
//! [`OUTPUTS`]; adding a format is one row here plus its codec.

mod head;
pub mod jpeg;
mod sniff;

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use crate::error::FileError;
pub use head::Head;
pub use sniff::{HEAD_LEN, sniff};

/// An image format imgbatch recognises and reads (in some build).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Netpbm: PBM, PGM, PPM (plain or raw) and PAM.
    Pnm,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HeifKind {
    /// HEVC-coded (iPhone photos).
    Heic,
    /// AV1-coded.
    Avif,
}

/// Camera RAW families (what the file is called in error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// Formats whose cost per byte differs (see `cost.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// JPEG, and WebP and GIF, which cost about as much per byte.
    Jpeg,
    /// PNG and APNG.
    Png,
    /// TIFF, BMP and PNM: mostly uncompressed, cheap per byte.
    Tiff,
    /// HEIC, AVIF and JPEG XL: slow to decode per byte.
    Modern,
    /// Camera RAW: mostly sensor data that the embedded preview lets us skip.
    Raw,
    /// Not an image by its name, or one imgbatch does not read: costs next to nothing.
    Other,
}

impl Class {
    /// The number of classes.
    pub const COUNT: usize = 6;

    /// The class a file belongs to by its name.
    pub fn of(path: &Path) -> Class {
        by_extension(path).map_or(Class::Other, |row| row.class)
    }

    /// Its place in per-class tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Whether this build reads a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Decoded by this build.
    Reads,
    /// Recognised and never read; the hint says what to do instead.
    Never(&'static str),
}

/// How a format is recognised from a file's first bytes ([`HEAD_LEN`]).
#[derive(Clone, Copy)]
pub enum Signature {
    /// The bytes alone say.
    Magic(fn(&[u8]) -> bool),
    /// A container other formats share (TIFF): the bytes, and one of the
    /// row's extensions.
    MagicAndExtension(fn(&[u8]) -> bool),
}

/// Reads a format's header facts from a file's first bytes.
pub type ReadHead = fn(&[u8]) -> Option<Head>;

/// One input format.
pub struct InRow {
    /// What the sniffer returns; `None` for formats imgbatch never reads.
    pub format: Option<InFormat>,
    /// Short display name, as in error messages and the report.
    pub name: &'static str,
    /// Extensions (lower case) the format goes by; a file with one of them
    /// that is not an image fails instead of being skipped.
    pub extensions: &'static [&'static str],
    /// How it is recognised. Rows are tried in table order.
    pub signature: Signature,
    /// Whether this build reads it.
    pub support: Support,
    /// Its cost class.
    pub class: Class,
    /// The output format `--format same` gives it.
    pub same: OutFormat,
    /// The header facts its first bytes give (size, progressive), for the
    /// formats that put them there; `None` leaves the cost to the file size.
    pub head: Option<ReadHead>,
    /// What it is in a shot a camera saves in several formats at once (a
    /// RAW and its JPEG; see `pairs.rs`); `None`: never part of one.
    pub pair: Option<Pair>,
    /// The first bytes of a file of this format, for the table's own test.
    pub sample: &'static [u8],
}

/// A format's part in a shot saved in several formats at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pair {
    /// A rendered picture, the lower rank preferred (JPEG 0, HEIC 1, TIFF 2).
    Rendered(u8),
    /// The camera's raw data.
    Raw,
}

const NOT_READ: &str = "not one of the formats imgbatch reads (see README: supported formats)";

/// Every input format imgbatch recognises, in the order the sniffer tries
/// them (a row sharing a container with a later one comes first).
pub const INPUTS: &[InRow] = &[
    InRow {
        format: Some(InFormat::Raw(RawKind::Cr2)),
        name: "CR2",
        extensions: &["cr2"],
        signature: Signature::Magic(|h| sniff::is_tiff(h) && h.get(8..10) == Some(b"CR")),
        support: Support::Reads,
        class: Class::Raw,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Raw),
        sample: b"II*\0\x10\0\0\0CR\x02\0",
    },
    InRow {
        format: Some(InFormat::Raw(RawKind::Dng)),
        name: "DNG",
        extensions: &["dng"],
        signature: Signature::MagicAndExtension(sniff::is_any_tiff),
        support: Support::Reads,
        class: Class::Raw,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Raw),
        sample: b"II*\0\x08\0\0\0",
    },
    InRow {
        format: Some(InFormat::Raw(RawKind::TiffBased)),
        name: "camera RAW",
        extensions: &[
            "nef", "nrw", "arw", "srf", "sr2", "pef", "srw", "3fr", "erf", "kdc", "dcr", "mef", "mos", "iiq", "rwl",
        ],
        signature: Signature::MagicAndExtension(sniff::is_any_tiff),
        support: Support::Reads,
        class: Class::Raw,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Raw),
        sample: b"MM\0*\0\0\0\x08",
    },
    InRow {
        format: Some(InFormat::Tiff),
        name: "TIFF",
        extensions: &["tif", "tiff"],
        signature: Signature::Magic(sniff::is_any_tiff),
        support: Support::Reads,
        class: Class::Tiff,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Rendered(2)),
        sample: b"II*\0\x08\0\0\0",
    },
    InRow {
        format: Some(InFormat::Raw(RawKind::Orf)),
        name: "ORF",
        extensions: &["orf"],
        signature: Signature::Magic(|h| h.starts_with(b"IIRO") || h.starts_with(b"IIRS") || h.starts_with(b"MMOR")),
        support: Support::Reads,
        class: Class::Raw,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Raw),
        sample: b"IIRO\x08\0\0\0",
    },
    InRow {
        format: Some(InFormat::Raw(RawKind::Rw2)),
        name: "RW2",
        extensions: &["rw2"],
        signature: Signature::Magic(|h| h.starts_with(b"IIU\0")),
        support: Support::Reads,
        class: Class::Raw,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Raw),
        sample: b"IIU\0\x08\0\0\0",
    },
    InRow {
        format: Some(InFormat::Raw(RawKind::Raf)),
        name: "RAF",
        extensions: &["raf"],
        signature: Signature::Magic(|h| h.starts_with(b"FUJIFILMCCD-RAW")),
        support: Support::Reads,
        class: Class::Raw,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Raw),
        sample: b"FUJIFILMCCD-RAW 0201",
    },
    InRow {
        format: Some(InFormat::Raw(RawKind::Crw)),
        name: "CRW",
        extensions: &["crw"],
        signature: Signature::Magic(|h| h.get(6..14) == Some(b"HEAPCCDR")),
        support: Support::Reads,
        class: Class::Raw,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Raw),
        sample: b"II\x1a\0\0\0HEAPCCDR",
    },
    InRow {
        format: Some(InFormat::Raw(RawKind::Cr3)),
        name: "CR3",
        extensions: &["cr3"],
        signature: Signature::Magic(|h| h.get(4..12) == Some(b"ftypcrx ")),
        support: Support::Reads,
        class: Class::Raw,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Raw),
        sample: b"\0\0\0\x18ftypcrx \0\0\0\x01crx isom",
    },
    InRow {
        format: Some(InFormat::Jxl),
        name: "JPEG XL",
        extensions: &["jxl"],
        signature: Signature::Magic(|h| h.starts_with(&[0xFF, 0x0A]) || h.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n")),
        support: Support::Reads,
        class: Class::Modern,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: &[0xFF, 0x0A, 0xFA],
    },
    InRow {
        format: Some(InFormat::Heif(HeifKind::Avif)),
        name: "AVIF",
        extensions: &["avif"],
        signature: Signature::Magic(|h| sniff::heif_kind(h) == Some(HeifKind::Avif)),
        support: Support::Reads,
        class: Class::Modern,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"\0\0\0\x18ftypavif\0\0\0\0mif1miaf",
    },
    InRow {
        format: Some(InFormat::Heif(HeifKind::Heic)),
        name: "HEIC",
        extensions: &["heic", "heif", "hif"],
        signature: Signature::Magic(|h| sniff::heif_kind(h) == Some(HeifKind::Heic)),
        support: Support::Reads,
        class: Class::Modern,
        same: OutFormat::Jpeg,
        head: None,
        pair: Some(Pair::Rendered(1)),
        sample: b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
    },
    InRow {
        format: Some(InFormat::Jpeg),
        name: "JPEG",
        extensions: &["jpg", "jpeg", "jpe", "jfif", "jps"],
        signature: Signature::Magic(|h| h.starts_with(&[0xFF, 0xD8, 0xFF])),
        support: Support::Reads,
        class: Class::Jpeg,
        same: OutFormat::Jpeg,
        head: Some(head::jpeg),
        pair: Some(Pair::Rendered(0)),
        sample: &[0xFF, 0xD8, 0xFF, 0xE0],
    },
    InRow {
        format: Some(InFormat::Png),
        name: "PNG",
        extensions: &["png", "apng"],
        signature: Signature::Magic(|h| h.starts_with(b"\x89PNG\r\n\x1a\n")),
        support: Support::Reads,
        class: Class::Png,
        same: OutFormat::Png,
        head: Some(head::png),
        pair: None,
        sample: b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    },
    InRow {
        format: Some(InFormat::WebP),
        name: "WebP",
        extensions: &["webp"],
        signature: Signature::Magic(|h| h.starts_with(b"RIFF") && h.get(8..12) == Some(b"WEBP")),
        support: Support::Reads,
        class: Class::Jpeg,
        same: OutFormat::Webp,
        head: None,
        pair: None,
        sample: b"RIFF\x24\0\0\0WEBPVP8 ",
    },
    InRow {
        format: Some(InFormat::Gif),
        name: "GIF",
        extensions: &["gif"],
        signature: Signature::Magic(|h| h.starts_with(b"GIF87a") || h.starts_with(b"GIF89a")),
        support: Support::Reads,
        class: Class::Jpeg,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"GIF89a\x01\0\x01\0",
    },
    InRow {
        format: Some(InFormat::Bmp),
        name: "BMP",
        extensions: &["bmp"],
        signature: Signature::Magic(|h| h.starts_with(b"BM")),
        support: Support::Reads,
        class: Class::Tiff,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0",
    },
    InRow {
        format: None,
        name: "PSD",
        extensions: &["psd", "psb"],
        signature: Signature::Magic(|h| h.starts_with(b"8BPS")),
        support: Support::Never("Photoshop documents are not read; export a TIFF, PNG or JPEG"),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"8BPS\0\x01\0\0\0\0\0\0",
    },
    InRow {
        format: None,
        name: "SVG",
        extensions: &["svg"],
        signature: Signature::Magic(sniff::looks_like_svg),
        support: Support::Never("vector images are not rasterised; render it with rsvg-convert or a browser first"),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>"#,
    },
    InRow {
        format: None,
        name: "XCF",
        extensions: &["xcf"],
        signature: Signature::Magic(|h| h.starts_with(b"gimp xcf")),
        support: Support::Never("GIMP documents are not read; export a PNG or JPEG"),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"gimp xcf v011\0",
    },
    InRow {
        format: None,
        name: "JPEG 2000",
        extensions: &["jp2", "j2k", "jpf", "jpx"],
        signature: Signature::Magic(|h| {
            h.starts_with(b"\0\0\0\x0cjP  \r\n\x87\n") || h.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
        }),
        support: Support::Never("this build has no JPEG 2000 decoder"),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: &[0xFF, 0x4F, 0xFF, 0x51, 0],
    },
    InRow {
        format: None,
        name: "EPS",
        extensions: &["eps"],
        signature: Signature::Magic(|h| h.starts_with(b"%!PS-Adobe") && h.windows(4).any(|w| w == b"EPSF")),
        support: Support::Never("PostScript is not rasterised"),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"%!PS-Adobe-3.0 EPSF-3.0\n",
    },
    InRow {
        format: None,
        name: "JPEG XR",
        extensions: &["jxr", "wdp", "hdp"],
        signature: Signature::Magic(|h| h.starts_with(&[0x49, 0x49, 0xBC])),
        support: Support::Never("this build has no JPEG XR decoder"),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: &[0x49, 0x49, 0xBC, 0x01],
    },
    InRow {
        format: None,
        name: "ICO",
        extensions: &["ico", "cur"],
        signature: Signature::Magic(sniff::looks_like_ico),
        support: Support::Never(NOT_READ),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"\0\0\x01\0\x01\0\x10\x10\0\0\x01\0\x20\0",
    },
    InRow {
        format: Some(InFormat::Pnm),
        name: "PNM",
        extensions: &["pnm", "pbm", "pgm", "ppm", "pam"],
        signature: Signature::Magic(sniff::looks_like_pnm),
        support: Support::Reads,
        class: Class::Tiff,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"P6\n2 2\n255\n",
    },
    InRow {
        format: None,
        name: "DDS",
        extensions: &["dds"],
        signature: Signature::Magic(|h| h.starts_with(b"DDS ")),
        support: Support::Never(NOT_READ),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"DDS \x7c\0\0\0",
    },
    InRow {
        format: None,
        name: "Radiance HDR",
        extensions: &["hdr"],
        signature: Signature::Magic(|h| h.starts_with(b"#?RADIANCE") || h.starts_with(b"#?RGBE")),
        support: Support::Never(NOT_READ),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"#?RADIANCE\n",
    },
    InRow {
        format: None,
        name: "OpenEXR",
        extensions: &["exr"],
        signature: Signature::Magic(|h| h.starts_with(&[0x76, 0x2F, 0x31, 0x01])),
        support: Support::Never(NOT_READ),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: &[0x76, 0x2F, 0x31, 0x01, 2, 0, 0, 0],
    },
    InRow {
        format: None,
        name: "farbfeld",
        extensions: &["ff"],
        signature: Signature::Magic(|h| h.starts_with(b"farbfeld")),
        support: Support::Never(NOT_READ),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"farbfeld\0\0\0\x01\0\0\0\x01",
    },
    InRow {
        format: None,
        name: "QOI",
        extensions: &["qoi"],
        signature: Signature::Magic(|h| h.starts_with(b"qoif")),
        support: Support::Never(NOT_READ),
        class: Class::Other,
        same: OutFormat::Jpeg,
        head: None,
        pair: None,
        sample: b"qoif\0\0\0\x01\0\0\0\x01\x03\0",
    },
];

impl InFormat {
    /// Its row of [`INPUTS`].
    pub fn row(self) -> &'static InRow {
        // Every variant has a row: the table's test checks it.
        INPUTS.iter().find(|r| r.format == Some(self)).unwrap_or(&INPUTS[0])
    }

    /// Short display name, as in error messages and the report.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The output format `--format same` gives it.
    pub(crate) fn same_output(self) -> OutFormat {
        self.row().same
    }
}

impl RawKind {
    /// Short display name.
    pub fn name(self) -> &'static str {
        InFormat::Raw(self).name()
    }
}

/// `Ok(format)` when this build decodes it (the walker asks before it
/// claims output paths for the file).
pub(crate) fn readable(format: InFormat) -> Result<InFormat, FileError> {
    let row = format.row();
    match row.support {
        Support::Reads => Ok(format),
        Support::Never(hint) => Err(FileError::UnsupportedFormat { format: row.name, hint }),
    }
}

/// The row whose extensions hold the file's extension (any case).
pub(crate) fn by_extension(path: &Path) -> Option<&'static InRow> {
    let ext = path.extension().and_then(OsStr::to_str)?;
    INPUTS.iter().find(|r| r.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

/// Whether a file name says it is an image of a format imgbatch knows:
/// such a file that turns out not to be an image fails rather than being
/// counted among the files skipped.
pub(crate) fn is_candidate(name: &OsStr) -> bool {
    by_extension(Path::new(name)).is_some()
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OutFormat {
    /// Baseline or progressive JPEG.
    Jpeg,
    /// Lossless PNG.
    Png,
    /// Lossy WebP.
    Webp,
    /// Lossy AVIF (AV1 in HEIF), 8-bit.
    Avif,
}

/// Where an output format keeps EXIF and XMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// APP1 segments (and ICC in APP2).
    JpegSegments,
    /// `eXIf` and `iTXt` chunks.
    PngChunks,
    /// RIFF `EXIF`/`XMP ` chunks with a `VP8X` header.
    RiffChunks,
    /// An `Exif` item inside the HEIF container, written by the encoder.
    HeifItems,
}

/// How `--target`/`--max-size` search a lossy format's quality.
pub struct SearchRow {
    /// The lowest quality that still looks like a photo (about SSIMULACRA2
    /// 50 on the photo corpus at 1600 px): below it `--max-size` makes the
    /// image smaller instead.
    pub floor: u8,
    /// Where a search for a score starts, when measured: the median quality
    /// reaching it on the photo corpus at 1600 px.
    pub guess: Option<Guess>,
    /// Whether `--subsampling` applies, so that 4:4:4 may reach a score
    /// 4:2:0 cannot.
    pub chroma: bool,
}

/// Where a search for a SSIMULACRA2 score starts: the median quality that
/// reached each of a few scores on the photo corpus, in rising order.
pub struct Guess(pub &'static [(f64, u8)]);

impl Guess {
    /// The quality to try first for `target`: between the measured medians
    /// on a line, beyond them along the nearest two.
    pub fn quality(&self, target: f64) -> u8 {
        let points = self.0;
        let Some(&(s0, q0)) = points.first() else { return 100 };
        let pair = points.windows(2).find(|w| target <= w[1].0).or_else(|| points.windows(2).last());
        let q = match pair {
            Some(&[(sa, qa), (sb, qb)]) => qa as f64 + (qb as f64 - qa as f64) * (target - sa) / (sb - sa),
            _ => q0 as f64 + (target - s0),
        };
        q.round().clamp(1.0, 100.0) as u8
    }
}

/// mozjpeg, which writes the searched JPEGs of the default build, at 1600
/// px (half the photos within 4 of the median).
#[cfg(feature = "jpeg-turbo")]
const JPEG_GUESS: Option<Guess> = Some(Guess(&[(65.0, 56), (75.0, 74), (85.0, 90), (90.0, 97)]));
/// jpeg-encoder searches without `jpeg-turbo`; its medians are unmeasured.
#[cfg(not(feature = "jpeg-turbo"))]
const JPEG_GUESS: Option<Guess> = None;

/// One output format.
pub struct OutRow {
    /// The format.
    pub format: OutFormat,
    /// Display name.
    pub name: &'static str,
    /// What `--format` accepts for it, the canonical name first.
    pub arg_names: &'static [&'static str],
    /// Extension written.
    pub extension: &'static str,
    /// Extensions (lower case) that already name this format: `--format same`
    /// keeps an input's own spelling of them.
    pub named_by: &'static [&'static str],
    /// Whether this build has an encoder for it.
    pub writes: bool,
    /// Whether it stores an alpha channel.
    pub alpha: bool,
    /// Whether it carries an ICC profile (otherwise pixels are converted to sRGB).
    pub icc: bool,
    /// Where EXIF and XMP go.
    pub metadata: Container,
    /// `--quality` when none is given, if not the operation's own default.
    pub own_quality: Option<u8>,
    /// `--timeout` when none is given.
    pub timeout: Duration,
    /// How its quality is searched; `None` for a lossless format.
    pub search: Option<SearchRow>,
    /// Milliseconds one worker takes to encode a megapixel of it (default
    /// effort), for the cost model: 2 workers, 8 corpus photos at 1600 px.
    pub encode_ms_per_mp: f64,
    /// What `--help` says of it.
    pub help: &'static str,
}

/// A decoder busy for a minute on one file is stuck, not slow.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Every output format.
pub const OUTPUTS: &[OutRow] = &[
    OutRow {
        format: OutFormat::Jpeg,
        name: "JPEG",
        writes: true,
        arg_names: &["jpeg", "jpg"],
        extension: "jpg",
        named_by: &["jpg", "jpeg", "jpe", "jfif"],
        alpha: false,
        icc: true,
        metadata: Container::JpegSegments,
        own_quality: None,
        timeout: DEFAULT_TIMEOUT,
        search: Some(SearchRow { floor: 40, guess: JPEG_GUESS, chroma: true }),
        encode_ms_per_mp: 15.0,
        help: "JPEG (chroma subsampling from --subsampling, 4:2:0 unless told)",
    },
    OutRow {
        format: OutFormat::Png,
        name: "PNG",
        writes: true,
        arg_names: &["png"],
        extension: "png",
        named_by: &["png"],
        alpha: true,
        icc: true,
        metadata: Container::PngChunks,
        own_quality: None,
        timeout: DEFAULT_TIMEOUT,
        search: None,
        encode_ms_per_mp: 12.0,
        help: "PNG (lossless, keeps alpha)",
    },
    OutRow {
        format: OutFormat::Webp,
        name: "WebP",
        writes: true,
        arg_names: &["webp"],
        extension: "webp",
        named_by: &["webp"],
        alpha: true,
        icc: true,
        metadata: Container::RiffChunks,
        own_quality: None,
        timeout: DEFAULT_TIMEOUT,
        // libwebp at 1600 px: half the photos within 13 of the median at 65,
        // 3 at 75 and 85; 90 is out of lossy WebP's reach for most photos.
        search: Some(SearchRow {
            floor: 40,
            guess: Some(Guess(&[(65.0, 59), (75.0, 82), (85.0, 94), (90.0, 100)])),
            chroma: false,
        }),
        encode_ms_per_mp: 130.0,
        help: "WebP (lossy, keeps alpha)",
    },
    OutRow {
        format: OutFormat::Avif,
        name: "AVIF",
        writes: cfg!(any(feature = "avif-rav1e", feature = "avif-libaom")),
        arg_names: &["avif"],
        extension: "avif",
        named_by: &["avif"],
        alpha: true,
        icc: false,
        metadata: Container::HeifItems,
        // sharp's and libvips' default: AV1 at 50 looks like JPEG at about
        // 80, so the JPEG/WebP defaults would be wasteful.
        own_quality: Some(50),
        // AV1 encoding is slow by nature: a 1200x1600 photo takes 28 s with
        // rav1e and 51 s with libaom at effort 10 here, so a minute would
        // fail honest files; ten still ends a stuck one.
        timeout: Duration::from_secs(600),
        // rav1e at effort 4, measured at 800 px (13 photos) since AV1 is slow to
        // encode: half the photos within 3 of the median at 85, 8 at 65–75.
        search: Some(SearchRow { floor: 25, guess: Some(Guess(&[(65.0, 50), (75.0, 78), (85.0, 91)])), chroma: true }),
        encode_ms_per_mp: 3200.0,
        help: "AVIF (AV1, lossy, 8-bit, chroma 4:2:0 unless --subsampling says otherwise, keeps alpha; \
               slow to encode, see --effort; quality 50 unless told)",
    },
];

impl OutFormat {
    /// Its row of [`OUTPUTS`].
    pub fn row(self) -> &'static OutRow {
        // Every variant has a row: the table's test checks it.
        OUTPUTS.iter().find(|r| r.format == self).unwrap_or(&OUTPUTS[0])
    }

    /// The format `--format` names by `arg` (any case).
    pub fn from_arg(arg: &str) -> Option<OutFormat> {
        OUTPUTS.iter().find(|r| r.arg_names.iter().any(|n| n.eq_ignore_ascii_case(arg))).map(|r| r.format)
    }

    /// Its canonical `--format` name (`jpeg`, `png`, `webp`, `avif`).
    pub fn arg_name(self) -> &'static str {
        self.row().arg_names[0]
    }

    /// File extension written for this format.
    pub fn extension(self) -> &'static str {
        self.row().extension
    }

    /// Whether `ext` (any case) is a usual extension of this format.
    pub(crate) fn named_by(self, ext: &str) -> bool {
        self.row().named_by.iter().any(|n| n.eq_ignore_ascii_case(ext))
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// Whether the format stores an alpha channel.
    pub fn has_alpha(self) -> bool {
        self.row().alpha
    }

    /// Whether the format carries an ICC profile; when not, pixels are
    /// converted to sRGB whatever `--colour` says.
    pub(crate) fn carries_icc(self) -> bool {
        self.row().icc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guess_follows_the_measured_medians() {
        let g = Guess(&[(65.0, 56), (75.0, 74), (85.0, 90)]);
        assert_eq!([g.quality(65.0), g.quality(75.0), g.quality(85.0)], [56, 74, 90]);
        assert_eq!(g.quality(70.0), 65);
        // Beyond the ends, along the nearest two: 1.6 per point above 85,
        // 1.8 per point below 65; never past 1..=100.
        assert_eq!(g.quality(87.5), 94);
        assert_eq!(g.quality(60.0), 47);
        assert_eq!((g.quality(99.0), g.quality(-50.0)), (100, 1));
        // Lossy rows that search have a floor within 1..=100.
        for row in OUTPUTS {
            if let Some(s) = &row.search {
                assert!((1..=100).contains(&s.floor), "{}", row.name);
            }
        }
    }

    #[test]
    fn every_row_sample_sniffs_as_itself() {
        for row in INPUTS {
            let ext = row.extensions[0];
            match (sniff(row.sample, Some(ext)), row.format) {
                (Ok(found), Some(format)) => assert_eq!(found, format, "{}", row.name),
                (Err(FileError::UnsupportedFormat { format, .. }), None) => assert_eq!(format, row.name),
                (other, _) => panic!("{}: sample sniffs as {other:?}", row.name),
            }
        }
    }

    #[test]
    fn every_row_with_header_facts_reads_them_from_a_real_file() {
        let img = image::DynamicImage::ImageRgb8(image::RgbImage::new(37, 23));
        let mut with_head = 0;
        for row in INPUTS.iter().filter(|r| r.head.is_some()) {
            let as_image = match row.format {
                Some(InFormat::Jpeg) => image::ImageFormat::Jpeg,
                Some(InFormat::Png) => image::ImageFormat::Png,
                other => panic!("{}: add a writer for {other:?} to this test", row.name),
            };
            let mut bytes = std::io::Cursor::new(Vec::new());
            img.write_to(&mut bytes, as_image).unwrap();
            let read = row.head.unwrap();
            assert_eq!(read(bytes.get_ref()).map(|h| h.size), Some((37, 23)), "{}", row.name);
            assert_eq!(read(&bytes.get_ref()[..10]), None, "{}: ten bytes say nothing", row.name);
            with_head += 1;
        }
        assert_eq!(with_head, 2, "JPEG and PNG give their headers");
    }

    /// The README's formats table, row by row: the first cell's names, and
    /// the other cells.
    fn readme_formats() -> Vec<(Vec<String>, Vec<String>)> {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let section = readme.split("### Supported formats").nth(1).unwrap().split("\n#").next().unwrap();
        section
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| format"))
            .map(|l| {
                let cells: Vec<String> = l.trim_matches('|').split(" | ").map(|c| c.trim().to_string()).collect();
                let names = cells[0].split([',', ':', '/']).map(|n| n.trim().to_string()).collect();
                (names, cells[1..].to_vec())
            })
            .collect()
    }

    #[test]
    fn the_readme_formats_table_says_what_the_table_says() {
        let readme = readme_formats();
        let line = |name: &str| {
            readme
                .iter()
                .find(|(names, _)| names.iter().any(|n| n == name))
                .unwrap_or_else(|| panic!("README's supported formats table has no {name}"))
        };
        for row in INPUTS {
            let (_, cells) = line(row.name);
            let read = &cells[0];
            match row.support {
                Support::Reads => assert!(read.starts_with("yes"), "{}: {read}", row.name),
                Support::Never(_) => assert!(read.starts_with("named failure"), "{}: {read}", row.name),
            }
            if row.class == Class::Raw {
                for ext in row.extensions {
                    line(&ext.to_uppercase());
                }
            }
        }
        for row in OUTPUTS {
            assert!(line(row.name).1[1].starts_with("yes"), "{} is written", row.name);
        }
    }

    #[test]
    fn no_two_rows_claim_one_extension() {
        let mut seen = std::collections::HashMap::new();
        for row in INPUTS {
            for e in row.extensions {
                assert_eq!(e.to_ascii_lowercase(), *e, "{e} must be lower case");
                if let Some(first) = seen.insert(*e, row.name) {
                    panic!(".{e} claimed by {first} and {}", row.name);
                }
            }
        }
        let mut args = std::collections::HashSet::new();
        for row in OUTPUTS {
            for n in row.arg_names {
                assert!(args.insert(*n), "--format {n} twice");
            }
            assert!(row.named_by.contains(&row.extension), "{}", row.name);
        }
    }

    #[test]
    fn every_variant_has_its_row() {
        let inputs = [
            InFormat::Jpeg,
            InFormat::Png,
            InFormat::WebP,
            InFormat::Gif,
            InFormat::Bmp,
            InFormat::Pnm,
            InFormat::Tiff,
            InFormat::Jxl,
            InFormat::Heif(HeifKind::Heic),
            InFormat::Heif(HeifKind::Avif),
            InFormat::Raw(RawKind::Dng),
            InFormat::Raw(RawKind::Cr2),
            InFormat::Raw(RawKind::Cr3),
            InFormat::Raw(RawKind::Crw),
            InFormat::Raw(RawKind::Orf),
            InFormat::Raw(RawKind::Rw2),
            InFormat::Raw(RawKind::Raf),
            InFormat::Raw(RawKind::TiffBased),
        ];
        for f in inputs {
            assert_eq!(INPUTS.iter().filter(|r| r.format == Some(f)).count(), 1, "{f:?}");
        }
        assert_eq!(INPUTS.iter().filter(|r| r.format.is_some()).count(), inputs.len(), "a row without a variant");
        for f in [OutFormat::Jpeg, OutFormat::Png, OutFormat::Webp, OutFormat::Avif] {
            assert_eq!(OUTPUTS.iter().filter(|r| r.format == f).count(), 1, "{f:?}");
        }
    }

    #[test]
    fn every_readable_format_is_read_and_the_rest_say_why() {
        for row in INPUTS {
            match (row.format, row.support) {
                (Some(f), Support::Reads) => assert!(readable(f).is_ok(), "{}", row.name),
                (Some(f), _) => assert!(matches!(readable(f), Err(FileError::UnsupportedFormat { .. }))),
                (None, support) => assert!(matches!(support, Support::Never(_)), "{}", row.name),
            }
        }
    }

    #[test]
    fn names_and_classes_come_from_the_table() {
        assert!(is_candidate(OsStr::new("DSC_0001.MOS")) && is_candidate(OsStr::new("a.rwl")));
        assert_eq!(Class::of(Path::new("a.psd")), Class::Other);
        assert_eq!(Class::of(Path::new("a.NEF")), Class::Raw);
        assert_eq!(Class::of(Path::new("a.txt")), Class::Other);
        assert_eq!(OutFormat::from_arg("JPG"), Some(OutFormat::Jpeg));
        assert_eq!(OutFormat::from_arg("tiff"), None);
    }
}
