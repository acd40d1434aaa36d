//! Typed errors at the two boundaries of the library: per-file failures (which
//! go into the report and make the run exit 1) and setup failures (which stop
//! the run before it starts and make it exit 2).

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use crate::units::human_bytes;

/// Why one input file produced no output. The `Display` text is the reason a
/// person reads in the report, so it names the problem, not the library.
#[derive(Debug, Error)]
pub enum FileError {
    /// The bytes are not any image format we know.
    #[error("not an image ({0})")]
    NotAnImage(&'static str),
    /// A real image in a format or variant we cannot decode.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An image format this build does not read at all, and how to get it read.
    #[error("unsupported format {format}: {hint}")]
    UnsupportedFormat {
        /// The format's name, e.g. `HEIC` or `PSD`.
        format: &'static str,
        /// What to do about it.
        hint: &'static str,
    },
    /// The header declares more pixels than `--max-pixels` allows.
    #[error("{width}x{height} exceeds --max-pixels ({max})")]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit in force.
        max: u64,
    },
    /// The decoder would allocate more than any image within `--max-pixels` needs.
    #[error("needs {needed_mib} MiB to decode, over the decoders' limit ({limit_mib} MiB, from --max-pixels)")]
    DecoderLimit {
        /// Bytes the decoder would allocate, in MiB.
        needed_mib: u64,
        /// The limit, in MiB.
        limit_mib: u64,
    },
    /// The image alone needs more than the whole `--max-memory` budget.
    #[error("needs about {needed_mib} MiB to process, over --max-memory ({limit_mib} MiB)")]
    OverBudget {
        /// Estimated bytes, in MiB.
        needed_mib: u64,
        /// The budget, in MiB.
        limit_mib: u64,
    },
    /// The file is larger than `--max-file-size`; nothing of it was read.
    #[error("file is {}, over --max-file-size ({})", human_bytes(*.bytes), human_bytes(*.max))]
    FileTooLarge {
        /// Size of the file.
        bytes: u64,
        /// The limit in force.
        max: u64,
    },
    /// The file grew while it was being read (another program is writing it).
    #[error("file grew past its size when opened ({}) while being read; still being written?", human_bytes(*.0))]
    Changed(u64),
    /// The worker's file was given up (`--timeout` or Ctrl-C) while the
    /// worker waited for memory; already reported, never shown.
    #[error("abandoned")]
    Abandoned,
    /// A worker spent longer than `--timeout` on this file; it was abandoned.
    #[error("timed out after {0} s (decoder stuck?); the file was abandoned and the run went on")]
    Timeout(f64),
    /// The file ends before the image data does.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// The data is damaged in a way the decoder rejects.
    #[error("corrupt {format}: {detail}")]
    Corrupt {
        /// Format name, e.g. `JPEG`.
        format: &'static str,
        /// The decoder's description.
        detail: String,
    },
    /// The path exists but is a FIFO, socket, device or folder.
    #[error("not a regular file ({0})")]
    NotRegularFile(&'static str),
    /// Reading the input failed.
    #[error("cannot read: {0}")]
    Read(#[source] io::Error),
    /// The walker could not list a folder or follow a link.
    #[error("cannot walk: {0}")]
    Walk(String),
    /// A listed file (`--files-from`) reached through a symbolic link,
    /// which the run follows only with `-L`, as the walk does.
    #[error("reached through the symbolic link {}, not followed without -L", .0.display())]
    ThroughLink(PathBuf),
    /// Another input of this run already maps to the same output path.
    #[error("output {} is already produced by {}", output.display(), first.display())]
    Collision {
        /// The contested output path.
        output: PathBuf,
        /// The input that claimed it first.
        first: PathBuf,
    },
    /// The output path is the input file itself.
    #[error("refusing to write {} over the input file", .0.display())]
    WouldOverwriteInput(PathBuf),
    /// Encoding the result failed.
    #[error("cannot encode {format}: {source}")]
    Encode {
        /// Output format name.
        format: &'static str,
        /// Why.
        #[source]
        source: EncodeError,
    },
    /// Writing the output failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The output path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A step of ours failed on a decoded image (a bug, not the file's fault).
    #[error("internal error while {stage}: {source}")]
    Internal {
        /// What was being done, e.g. `resizing`.
        stage: &'static str,
        /// What failed.
        #[source]
        source: PixelError,
    },
    /// Processing panicked; caught so the rest of the run goes on.
    #[error("internal error (panic): {0}")]
    Panic(String),
    /// A worker process's own error for its file, carried over the pipe as
    /// the text it would have shown (any of the variants above).
    #[error("{0}")]
    InWorker(String),
    /// The worker process decoding the file died of a signal or exited
    /// without answering: a decoder crashed. `detail` is the last line it
    /// wrote on stderr, if any (`: …`).
    #[error("decoder crashed ({how}){detail}; its worker process was replaced")]
    Crashed {
        /// The signal (`SIGSEGV`) or `exit code N`.
        how: String,
        /// `: ` and what the process last said, or nothing.
        detail: String,
    },
    /// An allocation in the worker process failed at its OS-enforced memory
    /// limit (a worker process's RLIMIT_AS).
    #[error("over the memory limit of {} for one worker{detail}; its worker process was replaced", human_bytes(*.limit))]
    OverMemoryLimit {
        /// The address-space limit the process had, in bytes.
        limit: u64,
        /// `: ` and what the process last said, or nothing.
        detail: String,
    },
    /// The file's worker process passed `--timeout` and was killed.
    #[error("timed out after {0} s; its worker process was killed and replaced")]
    Killed(f64),
    /// No worker process could be started (or restarted) for the file.
    #[error("cannot start a worker process: {0}")]
    WorkerStart(String),
}

/// Why an output could not be encoded. The codec libraries' own errors
/// are kept as the source, not turned into text.
#[derive(Debug, Error)]
pub enum EncodeError {
    /// The picture is larger than the format can hold.
    #[error("{width}x{height} is larger than {format} allows ({max})")]
    TooLarge {
        /// Output format name.
        format: &'static str,
        /// Width of the picture.
        width: u32,
        /// Height of the picture.
        height: u32,
        /// The format's largest side.
        max: u32,
    },
    /// A pixel layout our own stages never hand the encoder (a bug).
    #[error("unexpected pixel layout {0:?}")]
    PixelLayout(image::ColorType),
    /// No AVIF encoder of this build takes a picture of this size (libaom
    /// alone, past the sizes it refuses).
    #[error("{width}x{height}: no AVIF encoder of this build takes it (build with the avif-rav1e feature)")]
    NoEncoder {
        /// Width of the picture.
        width: u32,
        /// Height of the picture.
        height: u32,
    },
    /// The codec library refused the picture or failed.
    #[error("{0}")]
    Codec(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The metadata writer could not parse the encoder's own output.
    #[error("{0}")]
    Metadata(#[from] img_parts::Error),
}

impl EncodeError {
    /// The codec library's error, kept whole.
    pub(crate) fn codec(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        EncodeError::Codec(e.into())
    }
}

/// Why one of our own pixel steps (resampling, alpha weighting, colour
/// conversion) failed on a decoded image: a bug, not the file's fault.
#[derive(Debug, Error)]
pub enum PixelError {
    /// The resizer would not take a buffer as an image of its size.
    #[error("{0}")]
    Buffer(#[from] fast_image_resize::ImageBufferError),
    /// The resizer failed.
    #[error("{0}")]
    Resize(#[from] fast_image_resize::ResizeError),
    /// Weighting colour by alpha failed.
    #[error("{0}")]
    Alpha(#[from] fast_image_resize::ImageError),
    /// The colour transform failed.
    #[error("colour conversion failed: {0}")]
    Colour(#[from] moxcms::CmsError),
    /// A pixel layout the step is never handed.
    #[error("unexpected pixel layout {0:?}")]
    Layout(image::ColorType),
    /// A result buffer of the wrong length.
    #[error("buffer size mismatch")]
    BufferSize,
    /// SSIMULACRA2 could not compare an output with its pixels.
    #[error("quality metric: {0}")]
    Metric(String),
}

/// A panic's message and place (`index out of bounds… at src/x.rs:12`), for
/// [`FileError::Panic`]: the hooks of the worker threads and processes keep
/// it for the report instead of printing it.
pub(crate) fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
    format!("{}{at}", payload_message(info.payload()))
}

/// The message a panic carried (what `panic!` was given), from its payload.
pub(crate) fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Problems that stop the whole run before any file is processed (exit 2).
#[derive(Debug, Error)]
pub enum SetupError {
    /// An input given on the command line cannot be read.
    #[error("input {}: {source}", path.display())]
    Input {
        /// The input as given.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The output folder cannot be created or written to.
    #[error("output folder {} is not writable: {source}", path.display())]
    Output {
        /// The output folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// An option has a value that makes no sense.
    #[error("{0}")]
    Invalid(String),
    /// The worker pool could not be started.
    #[error("cannot start workers: {0}")]
    Pool(String),
}
