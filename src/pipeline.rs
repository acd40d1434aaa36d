//! The fan-out / fan-in pipeline:
//!
//! ```text
//!  walker ──bounded(queue)──▶ N workers ──bounded(queue)──▶ writer/collector
//!     └──────────── failures and skips ─────────────────────────▲
//! ```
//!
//! The walker (one thread) plans tasks; the workers (a rayon pool of
//! `--workers` threads, nothing nested inside) decode, resize and encode in
//! memory; the writer (the calling thread) is the only one that writes
//! files, prints, and builds the report. Bounded channels keep memory flat
//! however large the folder is.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::error::{FileError, SetupError};
use crate::job::{Job, Verbosity};
use crate::output;
use crate::process::resize::Resampler;
use crate::process::{self, ProcessOptions, Task};
use crate::progress::Progress;
use crate::report::{FileRecord, FileResult, Outcome, OutputRecord, Report, Status};
use crate::walk::Walker;

const WORKER_PREFIX: &str = "imgbatch-worker";

thread_local! {
    /// The message and location of the last panic on this worker thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Worker panics become per-file errors, so the default hook's message on
/// stderr would only tear the output; remember it for the report instead.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let on_worker = std::thread::current().name().is_some_and(|n| n.starts_with(WORKER_PREFIX));
            if !on_worker {
                return default(info);
            }
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{at}")));
        }));
    });
}

/// Checks what must hold before any file is touched (exit 2 otherwise).
fn setup(job: &Job) -> Result<(), SetupError> {
    if job.workers == 0 || job.queue == 0 {
        return Err(SetupError::Invalid("--workers and --queue must be at least 1".into()));
    }
    for input in &job.inputs {
        let err = |source| SetupError::Input { path: input.clone(), source };
        let meta = std::fs::metadata(input).map_err(err)?;
        if meta.is_dir() {
            // An unreadable root is a setup error, not one failed "file".
            std::fs::read_dir(input).map_err(err)?;
        }
        if std::fs::canonicalize(input).ok() == std::fs::canonicalize(&job.output_dir).ok() && input.is_dir() {
            return Err(SetupError::Invalid(format!(
                "output folder {} is an input folder: choose another -o",
                job.output_dir.display()
            )));
        }
    }
    if !job.dry_run {
        let out = &job.output_dir;
        let err = |source| SetupError::Output { path: out.clone(), source };
        std::fs::create_dir_all(out).map_err(err)?;
        // Prove we can create files there now rather than fail every file later.
        tempfile::Builder::new().prefix(".imgbatch-probe-").tempfile_in(out).map_err(err)?;
    }
    Ok(())
}

/// Runs a job to the end. Equivalent to [`run_with_cancel`] with a flag nobody sets.
pub fn run(job: &Job) -> Result<Report, SetupError> {
    run_with_cancel(job, &AtomicBool::new(false))
}

/// Runs a job; setting `cancel` stops the walk, lets workers drop what is
/// queued, and returns the report of what was done (marked interrupted).
pub fn run_with_cancel(job: &Job, cancel: &AtomicBool) -> Result<Report, SetupError> {
    setup(job)?;
    install_panic_hook();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(job.workers)
        .thread_name(|i| format!("{WORKER_PREFIX}-{i}"))
        .build()
        .map_err(|e| SetupError::Pool(e.to_string()))?;
    let start = Instant::now();
    let (task_tx, task_rx) = bounded::<Task>(job.queue);
    let (result_tx, result_rx) = bounded::<FileResult>(job.queue);
    let found = AtomicU64::new(0);
    let opts = ProcessOptions::from_job(job);
    let mut report = std::thread::scope(|s| {
        let walker_results = result_tx.clone();
        let found = &found;
        std::thread::Builder::new()
            .name("imgbatch-walker".into())
            .spawn_scoped(s, move || Walker::new(job, task_tx, walker_results, found, cancel).run())
            .map_err(|e| SetupError::Pool(e.to_string()))?;
        std::thread::Builder::new()
            .name("imgbatch-pool".into())
            .spawn_scoped(s, move || {
                pool.broadcast(|_| worker(&task_rx, &result_tx, &opts, cancel));
            })
            .map_err(|e| SetupError::Pool(e.to_string()))?;
        Ok::<_, SetupError>(collect(job, &result_rx, found))
    })?;
    report.summary.elapsed_s = start.elapsed().as_secs_f64();
    report.interrupted = cancel.load(Ordering::Relaxed);
    report.files.sort_by(|a, b| a.input.cmp(&b.input));
    if job.verbosity == Verbosity::Normal {
        eprintln!("{}", report.summary_line(job.operation.name(), job.dry_run));
    }
    Ok(report)
}

/// One worker: takes tasks until the walker is done (or the run is cancelled).
fn worker(tasks: &Receiver<Task>, results: &Sender<FileResult>, opts: &ProcessOptions, cancel: &AtomicBool) {
    let mut resampler = Resampler::new();
    for task in tasks {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let start = Instant::now();
        let outcome = match panic::catch_unwind(AssertUnwindSafe(|| process::process(&task, opts, &mut resampler))) {
            Ok(Ok(done)) => Outcome::Done(done),
            Ok(Err(e)) => Outcome::Failed(e),
            Err(_) => {
                // The resampler may hold half-updated buffers: start afresh.
                resampler = Resampler::new();
                let msg = LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| "unknown".into());
                Outcome::Failed(FileError::Panic(msg))
            }
        };
        let r = FileResult { input: task.input, elapsed: start.elapsed(), outcome };
        if results.send(r).is_err() {
            break;
        }
    }
}

fn lossy(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The writer/collector: writes outputs, prints, and builds the report.
fn collect(job: &Job, results: &Receiver<FileResult>, found: &AtomicU64) -> Report {
    let mut report = Report::default();
    let mut progress = Progress::new(job.progress && job.verbosity == Verbosity::Normal);
    let ticker = crossbeam_channel::tick(Duration::from_millis(250));
    loop {
        let r = crossbeam_channel::select! {
            recv(results) -> r => match r { Ok(r) => r, Err(_) => break },
            recv(ticker) -> _ => { progress.set_total(found.load(Ordering::Relaxed)); continue; }
        };
        progress.set_total(found.load(Ordering::Relaxed));
        let ms = r.elapsed.as_millis() as u64;
        let input = lossy(&r.input);
        let (rec, pixels) = match r.outcome {
            Outcome::Skipped(paths) => {
                let outputs = paths
                    .iter()
                    .map(|p| {
                        let bytes = std::fs::metadata(p).map_or(0, |m| m.len());
                        let (width, height) = image::image_dimensions(p).unwrap_or((0, 0));
                        OutputRecord { path: lossy(p), width, height, bytes }
                    })
                    .collect();
                (FileRecord { input, status: Status::Skipped, outputs, error: None, warning: None, ms }, 0)
            }
            Outcome::Failed(e) => (FileRecord::failed(input, &e, ms), 0),
            Outcome::Done(done) => match write_outputs(job, &done.outputs, &progress) {
                Ok(outputs) => {
                    let rec = FileRecord { input, status: Status::Ok, outputs, error: None, warning: done.warning, ms };
                    (rec, done.input_pixels)
                }
                Err(e) => (FileRecord::failed(input, &e, ms), 0),
            },
        };
        let failed = rec.status == Status::Failed;
        if let Some(e) = &rec.error {
            progress.line(&format!("{}: {e}", rec.input));
        } else if let Some(w) = &rec.warning {
            progress.line(&format!("{}: warning: {w}", rec.input));
        }
        progress.inc(failed);
        report.record(rec, pixels);
    }
    progress.finish();
    report
}

/// Writes (or in a dry run, announces) every output of one input.
fn write_outputs(
    job: &Job,
    outputs: &[process::Rendered],
    progress: &Progress,
) -> Result<Vec<OutputRecord>, FileError> {
    let mut records = Vec::with_capacity(outputs.len());
    for o in outputs {
        if job.dry_run {
            if job.print_plan {
                progress.out_line(&format!("would write {} ({}x{})", o.path.display(), o.width, o.height));
            }
        } else {
            output::write_atomic(&o.path, &o.bytes)
                .map_err(|source| FileError::Write { path: o.path.clone(), source })?;
        }
        records.push(OutputRecord {
            path: lossy(&o.path),
            width: o.width,
            height: o.height,
            bytes: o.bytes.len() as u64,
        });
    }
    Ok(records)
}
