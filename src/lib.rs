//! imgbatch: batch-process folders of images in parallel.
//!
//! Build a [`Job`] (or let the `imgbatch` binary build one from its command
//! line) and call [`run`]: a walker finds the images, a pool of workers
//! decodes, orients, resizes and encodes them in memory, and a single writer
//! writes the outputs atomically and builds the [`Report`]. The library
//! prints nothing: an [`Observer`] hears of each file as it finishes
//! ([`Silent`] ignores them; examples/embed.rs counts them).
//!
//! ```no_run
//! use imgbatch::{Job, Operation};
//! let op = Operation::Thumbs { sizes: vec![256], crop: false };
//! let job = Job::new(vec!["photos".into()], "thumbs".into(), op);
//! let report = imgbatch::run(&job, &mut imgbatch::Silent).expect("setup");
//! println!("{} ok, {} failed", report.summary.ok, report.summary.failed);
//! ```

#![warn(missing_docs)]

// The public API is the root's re-exports and the modules below without
// `doc(hidden)`. The hidden ones (geometry, process, task, walk,
// write_pool) are the door for benches, fuzz targets and the tests'
// worker program: internals, with no stability promise.

pub mod allocator;
pub mod bench;
pub(crate) mod budget;
pub(crate) mod cost;
pub mod error;
pub mod format;
#[doc(hidden)]
pub mod geometry;
pub mod isolate;
pub mod job;
pub mod ledger;
pub mod list;
pub mod merge;
pub mod naming;
pub mod observer;
pub mod output;
pub(crate) mod pairs;
pub(crate) mod path_bytes;
pub mod pipeline;
pub(crate) mod probe;
#[doc(hidden)]
pub mod process;
pub(crate) mod read;
pub mod report;
pub(crate) mod schedule;
pub mod shard;
pub(crate) mod stages;
#[doc(hidden)]
pub mod task;
pub mod units;
#[doc(hidden)]
pub mod walk;
#[doc(hidden)]
pub mod write_pool;

pub use error::{FileError, SetupError};
pub use job::{
    ColourMode, DecodeOptions, EncodeOptions, Fit, FormatChoice, Goal, ImageOptions, Isolation, Job, Operation,
    OutFormat, OutputMode, OutputOptions, Position, RawMode, Resources, Selection, ShrinkOnLoad, Subsampling, Target,
};
pub use observer::{Observer, Silent, Totals};
pub use pipeline::{run, run_with_cancel};
pub use report::{ExitStatus, Report, StageTimes, Status, Summary};
