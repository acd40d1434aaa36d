//! One image, entirely in memory: read → decode → resize → orient → encode.
//! Runs on a worker thread; never prints and never writes files.

pub mod colour;
pub mod decode;
pub mod encode;
pub(crate) mod focus;
pub mod metadata;
pub mod quality;
pub mod resize;
pub mod xmp;

use std::time::Instant;

use image::metadata::Orientation;
use image::{DynamicImage, GenericImageView};

use crate::error::FileError;
use crate::geometry;
use crate::job::{EncodeOptions, Fit, ImageOptions, Job, Position};
use crate::read::{Input, PREFIX_LEN};
use crate::stages::StageTimes;
pub use crate::task::{Processed, Rendered, Task};
use colour::{Colour, ColourMode};
use decode::swaps_axes;
use metadata::{Blocks, Metadata, Rewrite};
use resize::Resampler;

/// The per-file settings, taken once from the [`Job`]: its image and
/// encoder groups whole, and two facts of the run.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct ProcessOptions {
    /// How the image is read and turned into output pixels.
    pub image: ImageOptions,
    /// Encoder settings.
    pub encode: EncodeOptions,
    /// What each lossy output's searched quality must meet.
    pub goal: crate::job::Goal,
    /// Read headers only and encode nothing.
    pub dry_run: bool,
    /// Freed memory goes back to the system at once (see `Resources::follow_budget`).
    pub follow_budget: bool,
}

impl ProcessOptions {
    /// The per-file settings of a job.
    pub fn from_job(job: &Job) -> Self {
        ProcessOptions {
            image: job.image,
            encode: job.output.encode,
            goal: job.output.goal,
            dry_run: job.dry_run(),
            follow_budget: job.resources.follow_budget,
        }
    }
}

/// Seconds since `clock`, which moves on to now.
fn lap(clock: &mut Instant) -> f64 {
    let now = Instant::now();
    let s = (now - *clock).as_secs_f64();
    *clock = now;
    s
}

/// Asked for the bytes one image will hold before they are allocated;
/// returns once that much memory may be used (see [`crate::budget`]).
pub type Admit<'a> = dyn FnMut(u64) -> Result<(), FileError> + 'a;

/// The per-file step a worker runs: [`process`] in every real run; tests
/// put in steps that hold memory, take their time or fail on cue, and
/// benches one that does no image work.
pub type Step = fn(&Task, &ProcessOptions, &mut Resampler, &mut Admit<'_>) -> Result<Processed, FileError>;

/// Inputs from this size on are read as they decode when their decoder can
/// (see [`decode::decode_file`]): memory then holds the image, not the file
/// as well (a 262 MP JPEG is 72 MB). Smaller files are read in one go.
pub const STREAM_FROM: u64 = 1 << 20;

/// Decodes, resizes and encodes one task. Returns every output or the first error.
pub fn process(
    task: &Task,
    opts: &ProcessOptions,
    resampler: &mut Resampler,
    admit: &mut Admit<'_>,
) -> Result<Processed, FileError> {
    let clock = Instant::now();
    let mut input = Input::open(&task.input, opts.image.max_file_size)?;
    if opts.dry_run {
        return plan_from_file(task, opts, input, admit);
    }
    if input.len < STREAM_FROM {
        admit(input.len)?;
        let bytes = input.rest(Vec::new())?;
        return process_bytes(task, bytes, opts, resampler, admit, clock);
    }
    admit(PREFIX_LEN)?;
    let head = input.prefix(PREFIX_LEN)?;
    if let Some((decoded, meta)) = load_file(task, opts, &input, &head, admit)? {
        input.check_unchanged()?;
        return finish(task, decoded, meta, opts, resampler, admit, clock);
    }
    admit(input.len - head.len() as u64)?;
    let bytes = input.rest(head)?;
    process_bytes(task, bytes, opts, resampler, admit, clock)
}

/// How far a decoder may shrink on load, given the stored size and whether
/// the orientation swaps the axes: the largest output decides.
fn shrink_for<'a>(task: &'a Task, opts: &'a ProcessOptions) -> impl Fn((u32, u32), bool) -> u32 + 'a {
    move |stored: (u32, u32), swap: bool| {
        let Some(margin) = opts.image.shrink_on_load.margin() else { return 1 };
        let display = if swap && opts.image.auto_orient { (stored.1, stored.0) } else { stored };
        task.outputs
            .iter()
            .map(|(_, t)| geometry::max_shrink(&geometry::plan(display, *t, opts.image.upscale), margin))
            .min()
            .unwrap_or(1)
    }
}

/// What a decoder is told it may hold: its own peak, plus resize buffers
/// and copies of up to half the decoded size.
fn with_resize_room<'a>(admit: &'a mut Admit<'_>) -> impl FnMut(u64) -> Result<(), FileError> + 'a {
    move |peak| admit(peak + peak / 2)
}

/// [`process`]'s decode straight from the open file (see
/// [`decode::decode_file`]), with the metadata from the headers in `head`;
/// `None` when the file must be read whole first.
fn load_file(
    task: &Task,
    opts: &ProcessOptions,
    input: &Input,
    head: &[u8],
    admit: &mut Admit<'_>,
) -> Result<Option<(decode::Decoded, Metadata)>, FileError> {
    let codec = decode::for_source(task.source, head)?;
    let meta = if opts.image.keep_metadata {
        // Where the metadata may follow the pixels, it is read from the whole file.
        let Some(headers) = codec.metadata_within(head) else { return Ok(None) };
        Metadata::read(&head[..headers])
    } else {
        Metadata::default()
    };
    let decoded = decode::decode_file(
        codec.as_ref(),
        input,
        head,
        &opts.image.decode,
        &mut with_resize_room(admit),
        &shrink_for(task, opts),
    )?;
    Ok(decoded.map(|d| (d, meta)))
}

/// The in-memory part of [`process`], from the file's bytes (also the entry
/// point of the fuzz target). `clock` is when reading started; the caller
/// has already charged the bytes themselves to `admit`.
pub fn process_bytes(
    task: &Task,
    bytes: Vec<u8>,
    opts: &ProcessOptions,
    resampler: &mut Resampler,
    admit: &mut Admit<'_>,
    clock: Instant,
) -> Result<Processed, FileError> {
    // A camera RAW's preview is big enough when no output needs enlarging it.
    let enough = |stored: (u32, u32), swap: bool| {
        let display = if swap && opts.image.auto_orient { (stored.1, stored.0) } else { stored };
        task.outputs.iter().all(|(_, t)| {
            let plan = geometry::plan(display, *t, true);
            plan.scaled.0 <= display.0 && plan.scaled.1 <= display.1
        })
    };
    let codec = decode::for_source(task.source, &bytes)?;
    let meta = if opts.image.keep_metadata {
        // Read before the decode, from the file's bytes.
        let copied = Metadata::copy_cost(&bytes);
        if copied > 0 {
            admit(copied)?;
        }
        Metadata::read(&bytes)
    } else {
        Metadata::default()
    };
    let shrink = shrink_for(task, opts);
    let decoded = decode::decode_with(
        codec.as_ref(),
        &bytes,
        &opts.image.decode,
        &mut with_resize_room(admit),
        &shrink,
        &enough,
    )?;
    drop(bytes);
    finish(task, decoded, meta, opts, resampler, admit, clock)
}

/// Colour, resize, orientation and encoding of a decoded image, for every
/// output of the task.
fn finish(
    task: &Task,
    mut decoded: decode::Decoded,
    meta: Metadata,
    opts: &ProcessOptions,
    resampler: &mut Resampler,
    admit: &mut Admit<'_>,
    mut clock: Instant,
) -> Result<Processed, FileError> {
    let mut stages = StageTimes::default();
    let mut scoring = quality::Scoring::new(admit);
    // A format that carries no profile (AVIF is tagged sRGB by its nclx
    // box, see avif.rs) gets sRGB pixels whatever --colour says.
    let mode = if task.format.carries_icc() { opts.image.colour } else { ColourMode::Srgb };
    let mut icc = decoded.icc.take();
    if matches!(decoded.image, DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgba16(_)) {
        // Converted at full size before the cut to 8 bits (see colour.rs).
        let wide = Colour::for_input(mode, icc.clone(), false, decoded.image.color().has_alpha(), true);
        wide.apply(&mut decoded.image)?;
        if let Some(w) = wide.warning.clone() {
            decode::warn(&mut decoded.warning, w);
        }
        if wide.converts() || wide.warning.is_some() {
            icc = None;
        }
    }
    decoded.image = decode::to_8bit(decoded.image);
    let orientation = if opts.image.auto_orient { decoded.orientation } else { Orientation::NoTransforms };
    let stored = decoded.source_size;
    let display = if swaps_axes(orientation) { (stored.1, stored.0) } else { stored };
    let decoding = lap(&mut clock);
    // Before alpha is flattened or premultiplied: transparent areas must
    // read as such, and straight colour as the eye sees it.
    let focus = focal_point(task, opts, &decoded.image, orientation, display, resampler)?;
    stages.resize_s += lap(&mut clock);
    let premultiplied = decoded.image.color().has_alpha() && task.format.has_alpha();
    if premultiplied {
        resize::premultiply(&mut decoded.image)?;
    } else {
        resize::flatten_in_place(&mut decoded.image, opts.image.background);
    }
    let (grey, alpha) = (decoded.image.color().channel_count() < 3, decoded.image.color().has_alpha());
    let colour = Colour::for_input(mode, icc, grey, alpha, false);
    if let Some(w) = colour.warning.clone() {
        decode::warn(&mut decoded.warning, w);
    }
    stages.decode_s = decoding + lap(&mut clock);
    let loaded = decoded.image.dimensions();
    // Plans are made on the file's size; a shrunk image maps the crop down.
    let (fx, fy) = (loaded.0 as f64 / stored.0 as f64, loaded.1 as f64 / stored.1 as f64);
    let mut outputs = Vec::with_capacity(task.outputs.len());
    for (path, target) in &task.outputs {
        let plan = geometry::plan(display, *target, opts.image.upscale).centred_on(focus, display);
        // Resize in stored orientation, then rotate the (small) result.
        let stored_plan = plan.in_stored(orientation, display);
        let mut img = if loaded == stored && stored_plan.is_identity(stored) {
            decoded.image.clone()
        } else {
            resampler.resize(&decoded.image, stored_plan.crop.scaled(fx, fy), stored_plan.scaled)?
        };
        if premultiplied {
            resize::unpremultiply(&mut img)?;
        }
        // On the small image, and before any background is added (the
        // background is given in sRGB).
        colour.apply(&mut img)?;
        img.apply_orientation(orientation);
        img = resize::letterbox(img, plan.canvas, opts.image.background);
        if !task.format.has_alpha() {
            img = resize::flatten(img, opts.image.background);
        }
        stages.resize_s += lap(&mut clock);
        let blocks = if meta.is_empty() {
            Blocks::default()
        } else {
            let srgb = colour.embed.is_none();
            let rewrite =
                Rewrite { size: img.dimensions(), strip_gps: opts.image.strip_gps, srgb, format: task.format };
            let (blocks, warnings) = meta.blocks(rewrite);
            for w in warnings {
                // Every output of the input says the same: once is enough.
                if !decoded.warning.as_ref().is_some_and(|all| all.contains(&w)) {
                    decode::warn(&mut decoded.warning, w);
                }
            }
            blocks
        };
        let made = quality::encode(&img, task.format, opts, colour.embed.as_deref(), &blocks, resampler, &mut scoring)?;
        stages.encode_s += lap(&mut clock);
        let crop = crop_box(target, &plan);
        let (width, height) = made.size;
        outputs.push(Rendered { path: path.clone(), width, height, crop, bytes: made.bytes, chosen: made.chosen });
    }
    let input_pixels = stored.0 as u64 * stored.1 as u64;
    Ok(Processed { outputs, input_pixels, warning: decoded.warning, stages })
}

/// The focal point every `cover` output of the task is centred on, as
/// fractions of the `display`-sized image: found once, from the decoded
/// pixels, and only when some output crops.
fn focal_point(
    task: &Task,
    opts: &ProcessOptions,
    image: &DynamicImage,
    orientation: Orientation,
    display: (u32, u32),
    resampler: &mut Resampler,
) -> Result<(f64, f64), FileError> {
    let cropping = task
        .outputs
        .iter()
        .map(|(_, t)| geometry::plan(display, *t, opts.image.upscale))
        .find(|p| p.crop.w < display.0 as f64 || p.crop.h < display.1 as f64);
    let Some(plan) = cropping else { return Ok((0.5, 0.5)) };
    let window = (plan.crop.w / display.0 as f64, plan.crop.h / display.1 as f64);
    focus::focal_point(image, orientation, window, opts.image.position, resampler)
}

/// The report's crop box of an output: the region of the oriented source
/// a `cover` fit kept.
fn crop_box(target: &crate::job::Target, plan: &geometry::Plan) -> Option<crate::report::CropBox> {
    (target.fit == Fit::Cover && target.width.is_some() && target.height.is_some()).then(|| plan.crop.to_box())
}

/// `--dry-run`: reads the file's beginning and plans from its header; reads
/// the whole file only when the header is not all there (TIFF and camera RAW
/// keep theirs anywhere in the file, and some JPEGs carry large metadata first).
fn plan_from_file(
    task: &Task,
    opts: &ProcessOptions,
    mut input: Input,
    admit: &mut Admit<'_>,
) -> Result<Processed, FileError> {
    admit(PREFIX_LEN.min(input.len))?;
    let head = input.prefix(PREFIX_LEN)?;
    if head.len() as u64 >= input.len {
        return plan_only(task, opts, &head);
    }
    let anywhere = decode::for_source(task.source, &head).is_ok_and(|codec| !codec.header_at_start());
    if !anywhere && let Ok(plan) = plan_only(task, opts, &head) {
        return Ok(plan);
    }
    admit(input.len - head.len() as u64)?;
    let bytes = input.rest(head)?;
    plan_only(task, opts, &bytes)
}

/// Sizes from the header alone, no pixels decoded.
fn plan_only(task: &Task, opts: &ProcessOptions, bytes: &[u8]) -> Result<Processed, FileError> {
    let h = decode::for_source(task.source, bytes)?.header(bytes, &opts.image.decode)?;
    let swap = opts.image.auto_orient && swaps_axes(h.orientation);
    let display = if swap { (h.size.1, h.size.0) } else { h.size };
    let outputs = task
        .outputs
        .iter()
        .map(|(path, target)| {
            let plan = geometry::plan(display, *target, opts.image.upscale);
            // Without pixels, only a crop placed by the user is known.
            let placed = match opts.image.position {
                Position::Centre => Some(plan),
                Position::Focus { x, y } => Some(plan.centred_on((x, y), display)),
                Position::Attention | Position::Entropy => None,
            };
            let crop = placed.and_then(|p| crop_box(target, &p));
            Rendered {
                path: path.clone(),
                width: plan.canvas.0,
                height: plan.canvas.1,
                crop,
                bytes: Vec::new(),
                chosen: None,
            }
        })
        .collect();
    let input_pixels = h.size.0 as u64 * h.size.1 as u64;
    Ok(Processed { outputs, input_pixels, warning: None, stages: StageTimes::default() })
}
