//! What a run tells its caller while it goes. The library prints nothing:
//! the collector hands each event to an [`Observer`], and the caller (the
//! `imgbatch` binary draws a progress bar and prints error lines) decides
//! what to show. Every call comes from the thread that called `run`.

use std::path::Path;

use crate::report::FileRecord;

/// The size of the job as counted so far, for a progress display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Image files found.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Their estimated cost (see `cost.rs`), what a bar fills by.
    pub cost: u64,
    /// The count is over: these are the final totals.
    pub complete: bool,
}

/// Receives a run's events. Every method has an empty default.
pub trait Observer {
    /// Whether the job's size should be counted ahead (a listing pass and a
    /// sample of file heads, on a thread of its own) and [`Observer::totals`]
    /// and [`Observer::in_flight`] called; only a progress display needs it.
    fn wants_totals(&self) -> bool {
        false
    }

    /// The job's size as counted so far.
    fn totals(&mut self, _totals: Totals) {}

    /// The estimated cost of the inputs the workers hold now.
    fn in_flight(&mut self, _cost: u64) {}

    /// One input is finished (done, skipped, failed or interrupted): its
    /// record as the report keeps it, its size and estimated cost (both 0
    /// unless [`Observer::wants_totals`]).
    fn file(&mut self, _record: &FileRecord, _bytes: u64, _cost: u64) {}

    /// A file that is not an image was left alone.
    fn not_image(&mut self, _input: &Path, _bytes: u64, _cost: u64) {}

    /// A dry run's planned output (when the job lists them), in walk order.
    fn planned(&mut self, _output: &Path, _width: u32, _height: u32) {}

    /// An output whose input is gone was deleted (`--delete`), or would be
    /// (`dry_run`).
    fn deleted(&mut self, _output: &Path, _dry_run: bool) {}

    /// The run stops early, for this reason (writes keep failing).
    fn stopping(&mut self, _why: &str) {}

    /// Something about the run as a whole the user should know (an output
    /// folder inside an input, say), before any file.
    fn warning(&mut self, _text: &str) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {}
