//! What travels on the pipeline's channels: the walker's [`Task`]s to the
//! workers, and every [`Msg`] to the writer (a file's [`Outcome`], a worker or
//! the walker leaving). A module of its own so that the walker, the workers
//! and the writer all depend on it and not on each other.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::FileError;
use crate::format::InFormat;
use crate::job::{OutFormat, Target};
pub use crate::ledger::{Redo, Stamp};
use crate::stages::StageTimes;

/// One input file and the outputs planned for it by the walker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    /// The path as the walker found it.
    #[serde(with = "crate::path_bytes")]
    pub input: PathBuf,
    /// Its place in the walk (0, 1, 2, …), so the writer can list a dry
    /// run's plan in walk order whatever order the workers finish in.
    pub seq: u64,
    /// Every output is already up to date: a worker only reads their sizes
    /// for the report (so the writer never opens an image).
    pub up_to_date: bool,
    /// Its estimated cost (see [`crate::cost`]): the walker hands the
    /// costliest on first (schedule.rs), the bar fills by it.
    pub cost: u64,
    /// The input's format, as the walker's probe found it: the worker does
    /// not sniff again.
    pub source: InFormat,
    /// Encoding of every output of this input.
    pub format: OutFormat,
    /// Output path and target size, one per output.
    #[serde(with = "crate::path_bytes::pairs")]
    pub outputs: Vec<(PathBuf, Target)>,
    /// What makes the outputs, for the record in the output folder (the
    /// writer's business: not sent to worker processes).
    #[serde(skip)]
    pub stamp: Stamp,
    /// Why outputs that are already there are made again.
    #[serde(skip)]
    pub redo: Option<Redo>,
}

/// One encoded output, ready for the writer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rendered {
    /// Final output path.
    #[serde(with = "crate::path_bytes")]
    pub path: PathBuf,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// The region of the oriented source a `cover` fit kept.
    pub crop: Option<crate::report::CropBox>,
    /// Encoded file content (empty in a dry run).
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
    /// The quality searched for `--target`/`--max-size`, and what it gave.
    pub chosen: Option<crate::report::Chosen>,
}

/// What a successful processing step hands to the writer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Processed {
    /// Every output of the input.
    pub outputs: Vec<Rendered>,
    /// Source width × height, for the throughput figures.
    pub input_pixels: u64,
    /// Something the user should know although the file succeeded.
    pub warning: Option<String>,
    /// Time spent decoding, resizing and encoding this file.
    pub stages: StageTimes,
}

/// How one input ended, as sent to the writer.
#[derive(Debug)]
pub enum Outcome {
    /// Processed; the outputs still have to be written.
    Done(Processed),
    /// Every output already up to date: path, width, height, bytes of each.
    Skipped(Vec<(PathBuf, u32, u32, u64)>),
    /// No output.
    Failed(FileError),
    /// One member of a shot saved in several formats (a RAW beside its
    /// JPEG): this other member makes the outputs (`--pairs`).
    Paired(PathBuf),
    /// Found while walking a folder but not an image (a video, a sidecar, a
    /// text): not a failure, counted by kind (its extension).
    NotImage(String),
}

/// A message for the writer: one input and how it ended.
#[derive(Debug)]
pub struct FileResult {
    /// The path as the walker found it.
    pub input: PathBuf,
    /// Its place in the walk, as in [`Task::seq`].
    pub seq: u64,
    /// Time spent on it by a worker.
    pub elapsed: Duration,
    /// Its estimated cost from the walker's task, when it got one.
    pub cost: Option<u64>,
    /// What happened.
    pub outcome: Outcome,
    /// What made its outputs (its task's), for the record.
    pub stamp: Stamp,
    /// Why outputs that were there are made again.
    pub redo: Option<Redo>,
}

/// What the walker and the workers tell the writer.
#[derive(Debug)]
pub enum Msg {
    /// One input has ended (or needs its outputs written).
    File(FileResult),
    /// A worker has left; its time spent waiting on the queues.
    WorkerDone(StageTimes),
    /// The walker has found everything.
    WalkerDone,
}
