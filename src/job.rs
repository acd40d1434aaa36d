//! The plain, validated description of one run. Built once from the command
//! line (or by a library user) and read by every stage; no clap types here.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::SetupError;

/// How a resize fits the image into the requested box (sharp's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Fit {
    /// Keep the aspect ratio; the result fits inside the box.
    Inside,
    /// Keep the aspect ratio; fill the box and crop the overflow where
    /// [`ImageOptions::position`] says.
    Cover,
    /// Keep the aspect ratio; letterbox onto the background to fill the box.
    Contain,
    /// Stretch to exactly the box, ignoring the aspect ratio.
    Fill,
    /// Keep the aspect ratio; the result covers the box (no crop).
    Outside,
}

/// One requested output size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// Box width; `None` follows the aspect ratio.
    pub width: Option<u32>,
    /// Box height; `None` follows the aspect ratio.
    pub height: Option<u32>,
    /// How the image is fitted to the box.
    pub fit: Fit,
}

/// What to make of every input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// One output per size, named `<stem>_<size>.<ext>`.
    Thumbs {
        /// Bounding-box sizes in pixels.
        sizes: Vec<u32>,
        /// Square crop (placed by [`ImageOptions::position`]) instead of fit-inside.
        crop: bool,
    },
    /// One output, named like the input.
    Resize(Target),
}

impl Operation {
    /// The outputs one input produces, one target each (named by
    /// `crate::naming`).
    pub fn outputs(&self) -> Vec<Target> {
        match self {
            Operation::Thumbs { sizes, crop } => {
                let fit = if *crop { Fit::Cover } else { Fit::Inside };
                sizes.iter().map(|&s| Target { width: Some(s), height: Some(s), fit }).collect()
            }
            Operation::Resize(t) => vec![*t],
        }
    }

    /// Short name used in the summary line.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Thumbs { .. } => "thumbs",
            Operation::Resize(_) => "resize",
        }
    }
}

/// Where a `cover` fit places its crop (sharp's `position`, libvips'
/// `--smartcrop`): the same focal point serves every output of an image.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum Position {
    /// The middle of the image.
    #[default]
    Centre,
    /// The busiest region: edges, skin tones and saturated colour (libvips' `attention`).
    Attention,
    /// The region with the most information, trimming the plainer side (libvips' `entropy`).
    Entropy,
    /// A focal point given by the user, as fractions (0–1) of the oriented
    /// image's width and height.
    Focus {
        /// From the left edge.
        x: f64,
        /// From the top edge.
        y: f64,
    },
}

/// Output encoding requested by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// The input's format when we can write it, else JPEG.
    Same,
    /// Always this format.
    Fixed(OutFormat),
}

pub use crate::format::OutFormat;

/// What happens to an input's colour profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ColourMode {
    /// Convert to sRGB and write no profile.
    #[default]
    Srgb,
    /// Keep the pixels as they are and copy the profile.
    Keep,
}

/// JPEG chroma subsampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Subsampling {
    /// Half the chroma resolution both ways (libjpeg's and libvips' default).
    S420,
    /// Half horizontally.
    S422,
    /// Full chroma resolution (sharper colour edges, larger files).
    S444,
}

/// How far a decoder may shrink an image while decoding it (JPEG's DCT
/// scaling, PNG's row-by-row block means) before the exact resize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ShrinkOnLoad {
    /// Always decode at full size.
    Off,
    /// Leave at least twice the output size for the resize, so the result
    /// matches a full decode (libvips' rule, and Pillow's `thumbnail`).
    #[default]
    Safe,
    /// Shrink down to the output size itself (sharp's default
    /// `fastShrinkOnLoad`): faster, a little softer or more aliased.
    Fast,
}

impl ShrinkOnLoad {
    /// How many times the output size must be left after shrinking, if
    /// shrinking is on at all.
    pub(crate) fn margin(self) -> Option<f64> {
        match self {
            ShrinkOnLoad::Off => None,
            ShrinkOnLoad::Safe => Some(2.0),
            ShrinkOnLoad::Fast => Some(1.0),
        }
    }
}

/// How a camera RAW becomes pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum RawMode {
    /// The smallest embedded preview big enough for every output, else the raw data.
    #[default]
    Preview,
    /// Always demosaic the raw data.
    Full,
}

/// Everything one run needs to know, grouped by who reads it: the walker
/// (`select`), the workers (`image`, and `output.encode`), the writer
/// (`output`) and the pipeline's wiring (`resources`). A stage takes its
/// group whole, so a new setting is added in one place.
#[derive(Debug, Clone)]
pub struct Job {
    /// Files and folders to process (mixed freely).
    pub inputs: Vec<PathBuf>,
    /// What to produce from each image.
    pub operation: Operation,
    /// Which files of the inputs the run takes.
    pub select: Selection,
    /// How each image is read and turned into output pixels.
    pub image: ImageOptions,
    /// Where the outputs go and how they are encoded.
    pub output: OutputOptions,
    /// What the run may use: workers, memory, time, processes.
    pub resources: Resources,
}

/// Which member of a shot saved in several formats at once (a camera's
/// `DSC_0001.NEF` and `DSC_0001.JPG`) makes its outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pairs {
    /// The rendered picture (JPEG, else HEIC, else TIFF): the camera's own
    /// rendering, what the photographer saw on its screen, and several
    /// times faster to read than the RAW. The RAW is reported as paired.
    #[default]
    Jpeg,
    /// The RAW; the rendered members are reported as paired.
    Raw,
    /// Every member, the non-preferred ones named apart by their extension
    /// (`DSC_0001_nef_256.jpg` beside `DSC_0001_256.JPG`).
    Both,
}

/// Which files of the inputs the run takes: the walker's settings.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Which member of a RAW+JPEG pair (or JPEG+HEIC, JPEG+TIFF) is processed.
    pub pairs: Pairs,
    /// Walk hidden files and folders.
    pub hidden: bool,
    /// Follow symbolic links while walking.
    pub follow: bool,
    /// Only this shard's inputs (`--shard K/N`); all of them when `None`.
    pub shard: Option<crate::shard::Shard>,
    /// Files to take instead of walking the one input folder, relative to it
    /// (`--files-from`, `--retry-failed`), in this order.
    pub listed: Option<crate::list::FileList>,
}

/// How each image is read and turned into output pixels: the settings a
/// worker (thread or process) applies to every file.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct ImageOptions {
    /// Limits every decoder honours.
    pub decode: DecodeOptions,
    /// Input files larger than this fail before a byte of them is read.
    pub max_file_size: u64,
    /// Decode at reduced scale when every output is small enough.
    pub shrink_on_load: ShrinkOnLoad,
    /// Apply EXIF orientation to the pixels.
    pub auto_orient: bool,
    /// Allow outputs larger than the source.
    pub upscale: bool,
    /// Where `cover` crops.
    pub position: Position,
    /// Colour for flattening alpha and letterboxing, RGB.
    pub background: [u8; 3],
    /// Convert tagged inputs to sRGB (default) or keep their profile.
    pub colour: ColourMode,
    /// Copy EXIF (Orientation 1, no thumbnail, output size), XMP and IPTC to the outputs.
    pub keep_metadata: bool,
    /// With `keep_metadata`: leave GPS out of EXIF and XMP.
    pub strip_gps: bool,
}

/// Limits that apply to every decode.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct DecodeOptions {
    /// Largest accepted width × height, checked from the header.
    pub max_pixels: u64,
    /// Keep what decodes of a truncated file instead of failing it.
    pub allow_truncated: bool,
    /// Camera RAW: embedded preview when big enough, or always the raw data.
    pub raw: RawMode,
}

/// Where the outputs go and how they are encoded.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// Root of the mirrored output tree.
    pub dir: PathBuf,
    /// Output encoding.
    pub format: FormatChoice,
    /// Encoder settings.
    pub encode: EncodeOptions,
    /// A score and/or size each lossy output must meet (`--target`,
    /// `--max-size`): its quality is searched instead of fixed.
    pub goal: Goal,
    /// Redo outputs that are already up to date.
    pub force: bool,
    /// Write the input's extension in lower case when it is kept
    /// (`IMG_0001.JPG` → `IMG_0001_256.jpg` rather than `…_256.JPG`).
    pub lowercase_ext: bool,
    /// How outputs are named (`--name`); `None`: the default scheme.
    pub name: Option<crate::naming::NameTemplate>,
    /// Remove the outputs the record says imgbatch wrote for inputs that are
    /// gone (`--delete`; listed, not removed, in a dry run).
    pub delete: bool,
    /// Whether outputs are written, only planned, or made and dropped.
    pub mode: OutputMode,
}

/// What each lossy output must meet when its quality is searched
/// (`--target`, `--max-size`) instead of fixed.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Goal {
    /// Lowest SSIMULACRA2 score accepted.
    pub score: Option<f64>,
    /// Largest file accepted, in bytes.
    pub max_bytes: Option<u64>,
}

/// Encoder settings shared by every output of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EncodeOptions {
    /// JPEG/WebP/AVIF quality, 1–100.
    pub quality: u8,
    /// JPEG and AVIF chroma subsampling.
    pub subsampling: Subsampling,
    /// Write progressive JPEGs.
    pub progressive: bool,
    /// AVIF encoder effort, 0 (fastest) to 10 (smallest files).
    pub effort: u8,
}

impl EncodeOptions {
    /// libjpeg's defaults (4:2:0, baseline) and sharp's AVIF effort.
    pub fn new(quality: u8) -> Self {
        EncodeOptions { quality, subsampling: Subsampling::S420, progressive: false, effort: DEFAULT_AVIF_EFFORT }
    }
}

/// What the run may use: workers, memory, time, and where files are processed.
#[derive(Debug, Clone)]
pub struct Resources {
    /// Worker threads.
    pub workers: usize,
    /// Capacity of each bounded channel.
    pub queue: usize,
    /// Give up on a file after this long (`None`: wait forever).
    pub timeout: Option<Duration>,
    /// Budget in bytes for images being processed at once (admission control).
    pub max_memory: u64,
    /// Resident memory follows the budget: freed pages go back to the
    /// system at once instead of being kept for the next image (a little
    /// slower). For a budget the user chose (`--max-memory`).
    pub follow_budget: bool,
    /// Hand on the costliest planned task first (see schedule.rs) rather
    /// than in walk order. Off when the user sets a memory budget: under a
    /// budget that two big images do not fit in together, the costliest
    /// first pairs them and one worker waits for memory (T2 at 400 MB, 2
    /// workers: 3.09 s against 2.78 s in walk order).
    pub costliest_first: bool,
    /// Where each file is processed: worker processes (the binary's
    /// default) or the worker threads (the library's default, since a
    /// program must serve as its own worker; see the `isolate` module).
    pub isolation: Isolation,
}

/// Where the workers run each file's decode → resize → encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// On the worker threads, in the run's own process: a crash or a failed
    /// allocation in a decoder ends the whole run, and a file past
    /// `--timeout` is abandoned, its thread still busy.
    Threads,
    /// In one worker process per worker thread, started with this command.
    Processes(WorkerCommand),
}

/// How to start a worker process: a program whose `main` serves as a
/// worker when its first argument says so (`child::serve` of the `isolate` module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    /// The program (the `imgbatch` binary itself, usually).
    pub program: PathBuf,
    /// Its arguments, the worker argument first.
    pub args: Vec<std::ffi::OsString>,
}

/// Where the outputs of a run go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// Written to the output folder.
    Write,
    /// `--dry-run`: sizes planned from the headers, nothing decoded or
    /// written; `list` prints each planned output on stdout.
    DryRun {
        /// Print `would write PATH (WxH)` lines.
        list: bool,
    },
    /// Made in full and dropped (`bench` without `--write`).
    Discard,
}

pub use crate::format::DEFAULT_TIMEOUT;

/// Larger than any photo or camera RAW (a 100 MP RAW is about 200 MB), small
/// enough that a stray disk image or video named `.jpg` is refused unread.
pub(crate) const DEFAULT_MAX_FILE_SIZE: u64 = 1 << 30;

/// sharp's and libvips' AVIF effort (libaom's speed 5 of 0–9).
pub const DEFAULT_AVIF_EFFORT: u8 = 4;

/// sharp's `limitInputPixels` default: 0x3FFF × 0x3FFF.
pub const DEFAULT_MAX_PIXELS: u64 = 0x3FFF * 0x3FFF;

impl Job {
    /// The job, once every setting that does not depend on the file system
    /// makes sense; the one place these are checked (the CLI, the library's
    /// `run` and `bench` all come here).
    pub fn validated(self) -> Result<Job, SetupError> {
        let invalid = |what: &str| Err(SetupError::Invalid(format!("{what} must be at least 1")));
        if self.resources.workers == 0 {
            return invalid("--workers");
        }
        if self.resources.queue == 0 {
            return invalid("--queue");
        }
        if self.image.decode.max_pixels == 0 {
            return invalid("--max-pixels");
        }
        let encode = self.output.encode;
        if !(1..=100).contains(&encode.quality) {
            return Err(SetupError::Invalid(format!("--quality {} must be 1-100", encode.quality)));
        }
        if encode.effort > 10 {
            return Err(SetupError::Invalid(format!("--effort {} must be 0-10", encode.effort)));
        }
        if let Position::Focus { x, y } = self.image.position
            && !((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y))
        {
            return Err(SetupError::Invalid(format!("--focus {x},{y}: each must be a fraction from 0 to 1")));
        }
        if let Some(t) = self.output.goal.score
            && !(0.0..=100.0).contains(&t)
        {
            return Err(SetupError::Invalid(format!("--target {t}: a SSIMULACRA2 score is 0-100")));
        }
        if let Operation::Thumbs { sizes, .. } = &self.operation
            && (sizes.is_empty() || sizes.contains(&0))
        {
            return invalid("every thumbnail size");
        }
        Ok(self)
    }

    /// Whether this run writes nothing (`--dry-run`).
    pub fn dry_run(&self) -> bool {
        matches!(self.output.mode, OutputMode::DryRun { .. })
    }

    /// A job with the defaults the CLI uses, for library users and tests.
    pub fn new(inputs: Vec<PathBuf>, output_dir: PathBuf, operation: Operation) -> Job {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let quality = match operation {
            Operation::Thumbs { .. } => 80,
            Operation::Resize(_) => 85,
        };
        Job {
            inputs,
            operation,
            select: Selection::default(),
            image: ImageOptions {
                decode: DecodeOptions { max_pixels: DEFAULT_MAX_PIXELS, allow_truncated: false, raw: RawMode::Preview },
                max_file_size: DEFAULT_MAX_FILE_SIZE,
                shrink_on_load: ShrinkOnLoad::Safe,
                auto_orient: true,
                upscale: false,
                position: Position::Centre,
                background: [255, 255, 255],
                colour: ColourMode::Srgb,
                keep_metadata: false,
                strip_gps: false,
            },
            output: OutputOptions {
                dir: output_dir,
                format: FormatChoice::Same,
                encode: EncodeOptions::new(quality),
                goal: Default::default(),
                force: false,
                lowercase_ext: false,
                name: None,
                delete: false,
                mode: OutputMode::Write,
            },
            resources: Resources {
                workers,
                queue: 2 * workers,
                timeout: Some(DEFAULT_TIMEOUT),
                max_memory: crate::budget::default_max_memory(),
                follow_budget: false,
                costliest_first: true,
                isolation: Isolation::Threads,
            },
        }
    }
}

/// Parses `white`, `black`, `#rgb`, `#rrggbb` (with or without `#`).
pub fn parse_color(s: &str) -> Result<[u8; 3], SetupError> {
    match s.to_ascii_lowercase().as_str() {
        "white" => return Ok([255, 255, 255]),
        "black" => return Ok([0, 0, 0]),
        "grey" | "gray" => return Ok([128, 128, 128]),
        _ => {}
    }
    let hex = s.strip_prefix('#').unwrap_or(s);
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let bytes = hex.as_bytes();
    let bad = || SetupError::Invalid(format!("invalid colour {s:?}: use a name (white, black, grey), #rgb or #rrggbb"));
    match bytes.len() {
        3 => {
            let mut out = [0u8; 3];
            for (o, &c) in out.iter_mut().zip(bytes) {
                *o = digit(c).ok_or_else(bad)? * 17;
            }
            Ok(out)
        }
        6 => {
            let mut out = [0u8; 3];
            for (o, pair) in out.iter_mut().zip(bytes.chunks(2)) {
                *o = digit(pair[0]).ok_or_else(bad)? * 16 + digit(pair[1]).ok_or_else(bad)?;
            }
            Ok(out)
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("white").ok(), Some([255, 255, 255]));
        assert_eq!(parse_color("#000").ok(), Some([0, 0, 0]));
        assert_eq!(parse_color("#1a2B3c").ok(), Some([0x1a, 0x2b, 0x3c]));
        assert_eq!(parse_color("f00").ok(), Some([255, 0, 0]));
        assert!(parse_color("#12345").is_err());
        assert!(parse_color("blurple").is_err());
    }

    #[test]
    fn thumbs_name_outputs_by_size() {
        let op = Operation::Thumbs { sizes: vec![128, 256], crop: true };
        let outs = op.outputs();
        assert_eq!(outs.len(), 2);
        assert_eq!(outs[0].width, Some(128));
        assert_eq!(outs[1].fit, Fit::Cover);
        assert_eq!(outs[1].width, Some(256));
    }
}
