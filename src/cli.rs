//! The command line (clap derive). Every doc comment here is `--help` text.
//! Turned into a [`Job`] by one function that does all the validation.

use std::path::PathBuf;
use std::time::Duration;

use crate::placement::{self, CropValue, Strategy};
use crate::usage::UsageError;
use clap::{Args, Parser, Subcommand, ValueEnum};
use imgbatch::bench::BenchPlan;
use imgbatch::format::OUTPUTS;
use imgbatch::isolate::wire::WORKER_ARG;
use imgbatch::isolate::{Isolation, WorkerCommand};
use imgbatch::job::{ColourMode, DEFAULT_AVIF_EFFORT, DEFAULT_MAX_PIXELS, OutputMode, Pairs, parse_color};
use imgbatch::naming::NameTemplate;
use imgbatch::shard::Shard;
use imgbatch::units::parse_size;
use imgbatch::{Fit, FormatChoice, Job, Operation, OutFormat, Position, RawMode, ShrinkOnLoad, Subsampling, Target};

/// Batch-resize folders of images in parallel: thumbnails, web sizes, benchmarks.
#[derive(Debug, Parser)]
#[command(name = "imgbatch", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write one or more thumbnail sizes of every image (decoded once).
    #[command(mut_arg("quality", |a| a.help("JPEG/WebP/AVIF quality [default: 80; 50 for AVIF]")))]
    Thumbs(ThumbsArgs),
    /// Resize every image to fit a box (sharp's fit modes).
    #[command(mut_arg("quality", |a| a.help("JPEG/WebP/AVIF quality [default: 85; 50 for AVIF]")))]
    Resize(ResizeArgs),
    /// Time the same job with different worker counts (and queue sizes); outputs stay in memory unless --write.
    #[command(mut_arg("quality", |a| a.help("JPEG/WebP/AVIF quality [default: 80, or 85 with --width/--height; 50 for AVIF]")))]
    Bench(BenchArgs),
    /// Work with JSON reports (merge the reports of a job split with --shard).
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// One report from the reports of a split job: files sorted, counts
    /// summed, elapsed the wall span; exit 1 if any file failed, as one run.
    Merge {
        /// The reports (each part's --report FILE.json).
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Write the merged report here [default: stdout].
        #[arg(short, long, value_name = "OUT.json")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ThumbsArgs {
    /// Thumbnail sizes, comma-separated, e.g. 128,256: each is a square bounding box in pixels.
    #[arg(long, value_delimiter = ',', default_value = "256", value_parser = box_size)]
    pub sizes: Vec<u32>,
    /// Make exactly square thumbnails by cropping: the centre (--crop alone, or centre), the
    /// busiest region (attention: edges, skin tones, saturated colour) or the most detailed
    /// (entropy). One focal point per image serves every size; the report gives each crop box.
    #[arg(long, num_args = 0..=1, default_missing_value = "centre", value_name = "STRATEGY", value_parser = placement::crop_value)]
    pub crop: Option<CropValue>,
    /// With --crop: centre the crop on this point, X,Y as fractions of the oriented image's width
    /// and height (0.5,0.3: the middle, a little above centre).
    #[arg(long, value_name = "X,Y", value_parser = placement::focus)]
    pub focus: Option<(f64, f64)>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct ResizeArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub common: Common,
}

/// The box of a resize: shared by `resize` and `bench`.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Box width in pixels (with only one of width/height the other follows the aspect ratio).
    #[arg(long, short = 'W', value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub width: Option<u32>,
    /// Box height in pixels.
    #[arg(long, short = 'H', value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub height: Option<u32>,
    /// How the image fits the box.
    #[arg(long, value_enum, default_value_t = FitArg::Inside)]
    pub fit: FitArg,
    /// With --fit cover: where the crop goes [default: centre].
    #[arg(long, value_enum, value_name = "STRATEGY")]
    pub position: Option<Strategy>,
    /// Centre the crop (--fit cover, or thumbs --crop in bench) on this point, X,Y as fractions
    /// of the oriented image's width and height.
    #[arg(long, value_name = "X,Y", value_parser = placement::focus)]
    pub focus: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FitArg {
    /// Keep aspect ratio, fit inside the box.
    Inside,
    /// Keep aspect ratio, fill the box, crop the rest (where --position says).
    Cover,
    /// Keep aspect ratio, letterbox onto --background.
    Contain,
    /// Stretch to the box.
    Fill,
    /// Keep aspect ratio, cover the box without cropping.
    Outside,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PairsArg {
    /// The camera's JPEG (else HEIC, else TIFF) makes the outputs; the RAW is reported as paired.
    Jpeg,
    /// The RAW makes the outputs; the JPEG is reported as paired.
    Raw,
    /// Both make outputs, the RAW's named apart (DSC_0001_nef_256.jpg).
    Both,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RawArg {
    /// The embedded preview when it is big enough, else the raw data.
    Preview,
    /// Always the raw data, demosaiced.
    Full,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColourArg {
    /// Convert inputs tagged with another profile to sRGB, write no profile.
    Srgb,
    /// Leave the pixels as they are and copy the input's profile.
    Keep,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SubsamplingArg {
    /// 4:2:0: half the chroma resolution both ways (as libjpeg, libvips, sharp).
    #[value(name = "4:2:0", alias = "420")]
    S420,
    /// 4:2:2: half the chroma resolution horizontally.
    #[value(name = "4:2:2", alias = "422")]
    S422,
    /// 4:4:4: full chroma resolution.
    #[value(name = "4:4:4", alias = "444")]
    S444,
}

#[derive(Debug, Args)]
pub struct Common {
    /// Image files and folders (walked recursively).
    // Not `required`: `--crop photos` may have taken the only one (see placement.rs).
    pub inputs: Vec<PathBuf>,
    /// Output folder; the input tree is mirrored under it.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Worker threads [default: number of cores].
    #[arg(long, short = 'j')]
    pub workers: Option<usize>,
    /// Capacity of the task and result queues [default: 2 × workers].
    #[arg(long)]
    pub queue: Option<usize>,
    /// Write the JSON report to this file.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,
    /// Print the JSON report on stdout.
    #[arg(long)]
    pub json: bool,
    /// Print only errors.
    #[arg(long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also list every file that is not an image (they are always counted in the summary).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Redo outputs that are already up to date (a re-run redoes only the
    /// outputs whose input or settings changed; see .imgbatch/ in -o).
    #[arg(long)]
    pub force: bool,
    /// Name outputs by TEMPLATE, relative to -o: {dir} (the input's folder
    /// below its input root), {stem}, {ext}, {size}, {width}, {height} (the
    /// requested box; auto when not given), {format}. E.g. per-size folders:
    /// '{size}/{dir}/{stem}.{ext}'; flat: '{stem}_{size}.{ext}'; vipsthumbnail's
    /// tn_%s: '{dir}/tn_{stem}.{ext}' [default: '{dir}/{stem}_{size}.{ext}',
    /// resize '{dir}/{stem}.{ext}'].
    #[arg(long, value_name = "TEMPLATE")]
    pub name: Option<String>,
    /// Files of one stem in one folder that are one shot in several formats
    /// (DSC_0001.NEF + DSC_0001.JPG, IMG_1.HEIC + IMG_1.JPG, scan.tif +
    /// scan.jpg): which member makes the outputs.
    #[arg(long, value_enum, default_value_t = PairsArg::Jpeg)]
    pub pairs: PairsArg,
    /// Delete the outputs of inputs that are gone: only files imgbatch's
    /// record says it wrote, never anything else in -o. With --dry-run, list them.
    #[arg(long)]
    pub delete: bool,
    /// Outputs keep the input's extension as written when the format stays
    /// (IMG_0001.JPG → IMG_0001_256.JPG); this writes it in lower case.
    #[arg(long)]
    pub lowercase_ext: bool,
    /// Print what would be written; write nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Take only shard K of N of the inputs (by a stable hash of each path
    /// relative to its input root), to split one job over processes or
    /// machines. auto/N reads K from SLURM_ARRAY_TASK_ID (minus
    /// SLURM_ARRAY_TASK_MIN), JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Take only the files listed in FILE (- for stdin), one path per line,
    /// relative to the one input folder, instead of walking it.
    #[arg(long, value_name = "FILE", conflicts_with = "retry_failed")]
    pub files_from: Option<PathBuf>,
    /// --files-from entries are separated by NUL bytes (as find -print0 writes).
    #[arg(short = '0', long = "null", requires = "files_from")]
    pub null: bool,
    /// Run again only the files that failed or were interrupted in REPORT.json
    /// (the --report of an earlier run on the same input folder).
    #[arg(long, value_name = "REPORT.json")]
    pub retry_failed: Option<PathBuf>,
    #[command(flatten)]
    pub processing: Processing,
}

/// How each image is found, decoded and encoded: shared by every subcommand.
#[derive(Debug, Args)]
pub struct Processing {
    /// Output format.
    #[arg(long, default_value = "same", value_parser = format_choice())]
    pub format: FormatChoice,
    /// JPEG/WebP/AVIF quality [default: 80 for thumbs, 85 for resize, 50 for AVIF].
    #[arg(long, short = 'q', value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: Option<u8>,
    /// JPEG and AVIF chroma subsampling.
    #[arg(long, value_enum, default_value_t = SubsamplingArg::S420)]
    pub subsampling: SubsamplingArg,
    /// Write progressive JPEGs (load blurry-to-sharp; often a little smaller).
    #[arg(long)]
    pub progressive: bool,
    /// Search each JPEG/WebP/AVIF output's quality for the smallest file whose SSIMULACRA2 score
    /// (0-100, against the resized pixels before encoding; 90 is hard to tell apart, 70-80 is
    /// typical of the web) reaches SCORE; JPEG by mozjpeg's trellis encoder, 4:4:4 chroma when
    /// 4:2:0 misses SCORE even at quality 100. Costs about 3 encodes and SSIMULACRA2 comparisons
    /// per output instead of one encode: about 0.7 s of one core for a 1600x1067 JPEG, 10 times a
    /// fixed-quality run (45 % fewer bytes than q85 at q85's worst score on the photo corpus).
    #[arg(long, value_name = "SCORE")]
    pub target: Option<f64>,
    /// Keep each JPEG/WebP/AVIF output at or under this size (200K, 1.5M; K = 1024 bytes): the
    /// highest quality that fits (within 5 % under the cap, never above --quality), down to a
    /// floor that still looks like a photo (JPEG/WebP 40, AVIF 25, SSIMULACRA2 60), then a
    /// smaller image. About 3 encodes and one score per output: 7 times a fixed-quality run.
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<String>,
    /// AVIF encoder effort: 0 fastest, 10 smallest files (as sharp's, where 4 is the default).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=10), default_value_t = DEFAULT_AVIF_EFFORT)]
    pub effort: u8,
    /// Include hidden files and folders.
    #[arg(long)]
    pub hidden: bool,
    /// Follow symbolic links (loops are detected).
    #[arg(long, short = 'L')]
    pub follow: bool,
    /// Allow making images larger than the source.
    #[arg(long)]
    pub upscale: bool,
    /// Keep pixels as stored instead of applying EXIF orientation.
    #[arg(long)]
    pub no_auto_orient: bool,
    /// Colour for letterboxing (contain) and for flattening alpha: white, black, grey, #rgb or #rrggbb.
    #[arg(long, default_value = "white")]
    pub background: String,
    /// Refuse images whose header declares more pixels than this.
    #[arg(long, default_value_t = DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,
    /// Keep the decodable part of truncated images (reported as a warning).
    #[arg(long)]
    pub allow_truncated: bool,
    /// Decode every image at full size (default: JPEGs and PNGs shrunk by 2, 4 or 8 while
    /// decoding when that still leaves twice the output size, as libvips does).
    #[arg(long, conflicts_with = "fast_shrink_on_load")]
    pub no_shrink_on_load: bool,
    /// Shrink while decoding down to the output size itself, as sharp does by default:
    /// faster (a 4000-px photo to 1600 px is decoded at 1/2, not whole), a little softer.
    #[arg(long)]
    pub fast_shrink_on_load: bool,
    /// Camera RAW files: `preview` uses the smallest embedded JPEG preview that is at least
    /// the output size and decodes the raw data only when none is; `full` always decodes
    /// (demosaics) the raw data.
    #[arg(long, value_enum, default_value_t = RawArg::Preview)]
    pub raw: RawArg,
    /// Colour profiles: convert to sRGB (what every viewer shows alike) or keep them.
    #[arg(long, value_enum, default_value_t = ColourArg::Srgb, alias = "color")]
    pub colour: ColourArg,
    /// Copy EXIF (capture date, camera, copyright…; Orientation set to 1, its thumbnail and
    /// MakerNote dropped, dimensions updated), XMP and IPTC to the outputs [default: strip all].
    #[arg(long)]
    pub keep_metadata: bool,
    /// With --keep-metadata: leave out GPS location (EXIF and XMP).
    #[arg(long, requires = "keep_metadata")]
    pub strip_gps: bool,
    /// Give up on a file after this many seconds (0: never) [default: 60; 600 with --format avif].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Memory budget for images being processed at once, e.g. 2G or 512M; workers wait
    /// for room instead of exceeding it [default: half of RAM].
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<String>,
    /// Refuse input files larger than this (e.g. 200M), unread; also charged to --max-memory
    /// while a file is held.
    #[arg(long, value_name = "SIZE", default_value = "1G")]
    pub max_file_size: String,
    /// Where files are decoded: in worker processes, each under a memory limit and killed on
    /// --timeout, so a crashing or runaway decoder costs only its file; or on the worker
    /// threads of this process (no isolation: such a decoder can end the whole run).
    #[arg(long, value_enum, default_value_t = IsolationArg::Processes)]
    pub isolation: IsolationArg,
}

/// `--isolation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IsolationArg {
    /// One worker process per worker.
    Processes,
    /// The worker threads themselves.
    Threads,
}

/// `imgbatch bench`: the thumbs or resize job, swept over worker counts.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Image files and folders (walked recursively).
    // Not `required`: `--crop photos` may have taken the only one (see placement.rs).
    pub inputs: Vec<PathBuf>,
    /// Thumbnail sizes, comma-separated, e.g. 128,256 (the default job: thumbs --sizes 256).
    #[arg(long, value_delimiter = ',', value_parser = box_size, conflicts_with_all = ["width", "height"])]
    pub sizes: Option<Vec<u32>>,
    /// Square cropped thumbnails: centre (--crop alone), attention or entropy, as thumbs --crop.
    #[arg(long, num_args = 0..=1, default_missing_value = "centre", value_name = "STRATEGY", value_parser = placement::crop_value)]
    pub crop: Option<CropValue>,
    /// With --width and/or --height, benchmark `resize` instead of thumbnails.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Worker counts to compare [default: 1, 2, 4 … up to 2 × cores].
    #[arg(long, short = 'j', value_delimiter = ',')]
    pub workers: Option<Vec<usize>>,
    /// Queue capacities to compare [default: 2 × workers].
    #[arg(long, value_delimiter = ',')]
    pub queue: Option<Vec<usize>>,
    /// Measured runs per configuration.
    #[arg(long, short = 'r', default_value_t = 3)]
    pub repeat: usize,
    /// Unmeasured runs per configuration before measuring.
    #[arg(long, default_value_t = 1)]
    pub warmup: usize,
    /// One table of every column (default: scaling, then stage shares, each within 100 columns).
    #[arg(long)]
    pub wide: bool,
    /// Write the outputs under DIR (default: encode in memory and drop them).
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
    /// Export every measurement as JSON.
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,
    /// Export one line per configuration as CSV.
    #[arg(long, value_name = "FILE")]
    pub export_csv: Option<PathBuf>,
    /// Export the table as Markdown.
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,
    /// Draw throughput and efficiency against workers as an SVG chart.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub processing: Processing,
}

impl From<FitArg> for Fit {
    fn from(f: FitArg) -> Fit {
        match f {
            FitArg::Inside => Fit::Inside,
            FitArg::Cover => Fit::Cover,
            FitArg::Contain => Fit::Contain,
            FitArg::Fill => Fit::Fill,
            FitArg::Outside => Fit::Outside,
        }
    }
}

/// `--format`'s values: `same` and every output format of the table, by
/// all its names (`jpg` for `jpeg`).
fn format_choice() -> impl clap::builder::TypedValueParser<Value = FormatChoice> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let same = PossibleValue::new("same").help(
        "The input's format when it can be written (JPEG, PNG, WebP), else JPEG \
         (HEIC, AVIF, JPEG XL, camera RAW, TIFF, GIF and BMP all become JPEG)",
    );
    let outputs = OUTPUTS.iter().map(|r| PossibleValue::new(r.arg_names[0]).aliases(&r.arg_names[1..]).help(r.help));
    PossibleValuesParser::new(std::iter::once(same).chain(outputs))
        .map(|name| OutFormat::from_arg(&name).map_or(FormatChoice::Same, FormatChoice::Fixed))
}

impl Processing {
    /// Validates these options and sets them on `job`.
    fn apply(&self, job: &mut Job) -> Result<(), UsageError> {
        job.output.format = self.format;
        let fixed = match self.format {
            FormatChoice::Fixed(f) => Some(f.row()),
            FormatChoice::Same => None,
        };
        if let Some(row) = fixed
            && !row.writes
        {
            return Err(UsageError::NoEncoder {
                arg: row.arg_names[0],
                name: row.name,
                features: "avif-rav1e or avif-libaom",
            });
        }
        match (self.quality, fixed.and_then(|f| f.own_quality)) {
            (Some(q), _) | (None, Some(q)) => job.output.encode.quality = q,
            (None, None) => {}
        }
        job.output.encode.effort = self.effort;
        job.output.goal.score = self.target;
        job.output.goal.max_bytes = self
            .max_size
            .as_deref()
            .map(parse_size)
            .transpose()
            .map_err(|source| UsageError::Size { flag: "--max-size", source })?;
        job.output.encode.subsampling = match self.subsampling {
            SubsamplingArg::S420 => Subsampling::S420,
            SubsamplingArg::S422 => Subsampling::S422,
            SubsamplingArg::S444 => Subsampling::S444,
        };
        job.output.encode.progressive = self.progressive;
        job.select.hidden = self.hidden;
        job.select.follow = self.follow;
        job.image.upscale = self.upscale;
        job.image.auto_orient = !self.no_auto_orient;
        job.image.background = parse_color(&self.background)?;
        job.image.decode.max_pixels = self.max_pixels;
        job.image.decode.allow_truncated = self.allow_truncated;
        job.image.shrink_on_load = match (self.no_shrink_on_load, self.fast_shrink_on_load) {
            (true, _) => ShrinkOnLoad::Off,
            (false, true) => ShrinkOnLoad::Fast,
            (false, false) => ShrinkOnLoad::Safe,
        };
        job.image.colour = match self.colour {
            ColourArg::Srgb => ColourMode::Srgb,
            ColourArg::Keep => ColourMode::Keep,
        };
        job.image.keep_metadata = self.keep_metadata;
        job.image.strip_gps = self.strip_gps;
        job.image.decode.raw = match self.raw {
            RawArg::Preview => RawMode::Preview,
            RawArg::Full => RawMode::Full,
        };
        match self.timeout {
            Some(t) if !t.is_finite() || t < 0.0 => return Err(UsageError::Timeout(t)),
            Some(t) => job.resources.timeout = (t > 0.0).then(|| Duration::from_secs_f64(t)),
            None => job.resources.timeout = fixed.map_or(job.resources.timeout, |f| Some(f.timeout)),
        }
        if let Some(m) = &self.max_memory {
            job.resources.max_memory =
                parse_size(m).map_err(|source| UsageError::Size { flag: "--max-memory", source })?;
            job.resources.costliest_first = false;
            job.resources.follow_budget = true;
        }
        job.image.max_file_size =
            parse_size(&self.max_file_size).map_err(|source| UsageError::Size { flag: "--max-file-size", source })?;
        job.resources.isolation = match self.isolation {
            IsolationArg::Threads => Isolation::Threads,
            IsolationArg::Processes => Isolation::Processes(worker_program()?),
        };
        Ok(())
    }
}

/// The program that serves as worker process: this one, unless
/// `IMGBATCH_WORKER` names another that serves the same protocol (the tests
/// name examples/faulty.rs, a worker with faults on cue).
fn worker_program() -> Result<WorkerCommand, UsageError> {
    match std::env::var_os("IMGBATCH_WORKER").filter(|p| !p.is_empty()) {
        Some(program) => Ok(WorkerCommand { program: program.into(), args: vec![WORKER_ARG.into()] }),
        None => imgbatch::isolate::this_program().map_err(UsageError::ThisProgram),
    }
}

impl TargetArgs {
    fn given(&self) -> bool {
        self.width.is_some() || self.height.is_some()
    }

    fn operation(&self) -> Result<Operation, UsageError> {
        if !self.given() {
            return Err(UsageError::NoTarget);
        }
        Ok(Operation::Resize(Target { width: self.width, height: self.height, fit: self.fit.into() }))
    }

    /// Where the cover crop goes: only a cover fit has one.
    fn position(&self) -> Result<Position, UsageError> {
        if !matches!(self.fit, FitArg::Cover) {
            match (self.position, self.focus) {
                (Some(_), _) => return Err(UsageError::PositionNeedsCover("--position")),
                (None, Some(_)) => return Err(UsageError::PositionNeedsCover("--focus")),
                (None, None) => {}
            }
        }
        placement::position(self.position, self.focus, "--position")
    }
}

/// Where square thumbnails are cropped: `--focus` only places a crop.
fn thumbs_position(crop: Option<Strategy>, focus: Option<(f64, f64)>) -> Result<Position, UsageError> {
    if crop.is_none() && focus.is_some() {
        return Err(UsageError::FocusNeedsCrop);
    }
    placement::position(crop, focus, "--crop")
}

impl Command {
    /// Validates the arguments of `thumbs` or `resize` and builds the job.
    pub fn into_job(self) -> Result<(Job, AroundRun), UsageError> {
        let (operation, position, c) = match self {
            Command::Thumbs(mut a) => {
                let crop = placement::crop_strategy(a.crop, &mut a.common.inputs);
                loose_size(&a.common.inputs, &a.sizes)?;
                let position = thumbs_position(crop, a.focus)?;
                (Operation::Thumbs { sizes: dedup(a.sizes), crop: crop.is_some() }, position, a.common)
            }
            Command::Resize(a) => (a.target.operation()?, a.target.position()?, a.common),
            Command::Bench(_) | Command::Report(_) => return Err(UsageError::NotAJob),
        };
        if c.inputs.is_empty() {
            return Err(UsageError::NoInputs);
        }
        let mut job = Job::new(c.inputs, c.output, operation);
        c.processing.apply(&mut job)?;
        job.image.position = position;
        if let Some(w) = c.workers {
            job.resources.workers = w;
        }
        job.resources.queue = c.queue.unwrap_or(2 * job.resources.workers);
        job.output.force = c.force;
        job.output.delete = c.delete;
        job.output.name =
            c.name.as_deref().map(|t| NameTemplate::parse(t, job.operation.outputs().len())).transpose()?;
        job.select.pairs = match c.pairs {
            PairsArg::Jpeg => Pairs::Jpeg,
            PairsArg::Raw => Pairs::Raw,
            PairsArg::Both => Pairs::Both,
        };
        job.output.lowercase_ext = c.lowercase_ext;
        if c.files_from.is_some() || c.retry_failed.is_some() {
            let [root] = &job.inputs[..] else {
                return Err(UsageError::ListNeedsOneFolder);
            };
            if !root.is_dir() {
                return Err(UsageError::ListRootNotFolder(root.clone()));
            }
            job.select.listed = Some(match (&c.files_from, &c.retry_failed) {
                (Some(list), _) => imgbatch::list::read_list(list, c.null, root),
                (None, Some(report)) => imgbatch::list::failed_in_report(report, root),
                (None, None) => unreachable!("one of them is given"),
            }?);
        }
        if let Some(s) = &c.shard {
            job.select.shard = Some(Shard::parse(s, |k| std::env::var(k).ok())?);
        }
        if c.dry_run {
            job.output.mode = OutputMode::DryRun { list: !c.json };
        }
        let verbosity = match (c.quiet, c.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        };
        let job = job.validated()?;
        Ok((job, AroundRun { report: c.report, json: c.json, verbosity }))
    }
}

impl BenchArgs {
    /// The job every configuration runs, and the sweep.
    pub fn into_plan(mut self) -> Result<(Job, BenchPlan, BenchExports), UsageError> {
        let crop = placement::crop_strategy(self.crop.take(), &mut self.inputs);
        if self.inputs.is_empty() {
            return Err(UsageError::NoInputs);
        }
        let (operation, position) = if self.target.given() {
            (self.target.operation()?, self.target.position()?)
        } else {
            let sizes = self.sizes.unwrap_or_else(|| vec![256]);
            loose_size(&self.inputs, &sizes)?;
            let position = thumbs_position(crop, self.target.focus)?;
            (Operation::Thumbs { sizes: dedup(sizes), crop: crop.is_some() }, position)
        };
        let out = self.write.clone().unwrap_or_else(|| PathBuf::from("bench-output-not-written"));
        let mut job = Job::new(self.inputs, out, operation);
        self.processing.apply(&mut job)?;
        job.image.position = position;
        let workers = self.workers.unwrap_or_else(imgbatch::bench::default_workers);
        let plan =
            BenchPlan { workers, queues: self.queue, repeat: self.repeat, warmup: self.warmup, write: self.write };
        let exports = BenchExports {
            json: self.export_json,
            csv: self.export_csv,
            markdown: self.export_markdown,
            plot: self.plot,
            wide: self.wide,
        };
        Ok((job, plan, exports))
    }
}

/// Where `bench` writes its results besides the terminal.
pub struct BenchExports {
    /// `--export-json`.
    pub json: Option<PathBuf>,
    /// `--export-csv`.
    pub csv: Option<PathBuf>,
    /// `--export-markdown`.
    pub markdown: Option<PathBuf>,
    /// `--plot`.
    pub plot: Option<PathBuf>,
    /// `--wide`: one terminal table of every column.
    pub wide: bool,
}

/// What `main` handles around the run: the terminal during it, the report after it.
pub struct AroundRun {
    /// `--report FILE.json`.
    pub report: Option<PathBuf>,
    /// `--json`.
    pub json: bool,
    /// How much to print.
    pub verbosity: Verbosity,
}

/// How much the run prints on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Only per-file errors.
    Quiet,
    /// Errors and the final summary (progress bar when stderr is a terminal).
    Normal,
    /// As `Normal`, and every file that is not an image is listed.
    Verbose,
}

/// One thumbnail size: a square box's side in pixels, 1-65535.
fn box_size(s: &str) -> Result<u32, UsageError> {
    if s.contains(['x', 'X', '*']) {
        return Err(UsageError::SizeIsABox(s.into()));
    }
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n),
        Ok(_) => Err(UsageError::SizeOutOfRange(s.into())),
        Err(_) => Err(UsageError::SizeNotANumber(s.into())),
    }
}

/// `--sizes 256 512` makes 512 an input: say that, not "no such file".
fn loose_size(inputs: &[PathBuf], sizes: &[u32]) -> Result<(), UsageError> {
    let loose = inputs.iter().find(|p| !p.exists() && p.to_str().is_some_and(|s| box_size(s).is_ok()));
    match loose {
        Some(p) => {
            let mut all: Vec<String> = sizes.iter().map(u32::to_string).collect();
            all.push(p.display().to_string());
            Err(UsageError::LooseSize { input: p.display().to_string(), sizes: all.join(",") })
        }
        None => Ok(()),
    }
}

fn dedup(mut sizes: Vec<u32>) -> Vec<u32> {
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(args: &[&str]) -> Job {
        let cli = Cli::try_parse_from([&["imgbatch", "resize", "in", "-o", "out", "--width", "10"], args].concat())
            .expect("arguments");
        cli.command.into_job().expect("job").0
    }

    #[test]
    #[cfg(any(feature = "avif-rav1e", feature = "avif-libaom"))]
    fn avif_jobs_get_a_longer_default_timeout_and_quality_50() {
        let avif = job(&["--format", "avif"]);
        assert_eq!((avif.resources.timeout, avif.output.encode.quality), (Some(Duration::from_secs(600)), 50));
        let told = job(&["--format", "avif", "--timeout", "5", "--quality", "70"]);
        assert_eq!((told.resources.timeout, told.output.encode.quality), (Some(Duration::from_secs(5)), 70));
        assert_eq!(job(&["--format", "avif", "--timeout", "0"]).resources.timeout, None);
    }

    #[test]
    fn jpeg_jobs_keep_the_operations_defaults_and_jpg_is_jpeg() {
        assert_eq!(job(&["--format", "jpg"]).output.format, FormatChoice::Fixed(OutFormat::Jpeg));
        let jpeg = job(&["--format", "jpeg"]);
        assert_eq!((jpeg.resources.timeout, jpeg.output.encode.quality), (Some(imgbatch::job::DEFAULT_TIMEOUT), 85));
    }

    #[test]
    fn a_memory_budget_keeps_walk_order() {
        assert!(job(&[]).resources.costliest_first);
        let budget = job(&["--max-memory", "400M"]);
        assert!(!budget.resources.costliest_first && budget.resources.max_memory == 400 << 20);
    }
}
