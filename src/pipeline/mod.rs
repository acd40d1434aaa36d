//! The fan-out / fan-in pipeline:
//!
//! ```text
//!  walker ──bounded(queue)──▶ N workers ──bounded(queue)──▶ writer ◀──▶ write threads
//!     └──────────── failures and skips ─────────────────▲
//! ```
//!
//! This file is the wiring only. The walker (one thread, `crate::walk`)
//! plans tasks; the workers (a rayon pool of `--workers` threads, nothing
//! nested inside; `supervisor.rs`) decode, resize and encode in memory, in
//! their worker processes by default; the writer (the calling thread;
//! `collector.rs`) collects every result, tells the observer, builds the
//! report, and hands outputs to its write threads (one per 16 workers, see
//! write_pool.rs), the only ones that write files. Bounded channels keep the
//! number of queued tasks flat however large the folder is, and the
//! [`Budget`] caps the decoded pixels the workers hold at once.
//!
//! A worker thread that exceeds `--timeout` cannot be killed (threads
//! can't be), so the writer reports its file as failed, forgets the worker
//! and starts a replacement (a worker process is killed instead). The run
//! therefore ends when the walker and every *live* worker have said they
//! are done, not when the channels disconnect: a stuck worker would hold
//! its sender forever.

mod collector;
mod record;
mod sink;
mod supervisor;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crossbeam_channel::bounded;

use collector::Writer;
pub use supervisor::WORKER_PREFIX;
use supervisor::{Shared, worker};

use crate::budget::Budget;
use crate::error::SetupError;
use crate::isolate::limits;
use crate::job::{Job, OutputMode};
use crate::ledger::Ledger;
use crate::observer::Observer;
use crate::process::{self, ProcessOptions, Task};
use crate::report::Report;
use crate::task::Msg;
use crate::walk::{self, Tally, WalkCounts, Walker};

/// Checks what must hold before any file is touched (exit 2 otherwise),
/// marks the output folder, and returns what the user should be warned of.
fn setup(job: &Job) -> Result<Vec<String>, SetupError> {
    job.clone().validated()?;
    for input in &job.inputs {
        let err = |source| SetupError::Input { path: input.clone(), source };
        let meta = std::fs::metadata(input).map_err(err)?;
        if meta.is_dir() {
            // An unreadable root is a setup error, not one failed "file".
            std::fs::read_dir(input).map_err(err)?;
        }
        if std::fs::canonicalize(input).ok() == std::fs::canonicalize(&job.output.dir).ok() && input.is_dir() {
            return Err(SetupError::Invalid(format!(
                "output folder {} is an input folder: choose another -o",
                job.output.dir.display()
            )));
        }
    }
    crate::walk::check_names(job)?;
    if job.output.mode == OutputMode::Write {
        let out = &job.output.dir;
        if out.exists() && !out.is_dir() {
            return Err(SetupError::Invalid(format!("-o {}: is a file, not a folder", out.display())));
        }
        let err = |source| SetupError::Output { path: out.clone(), source };
        std::fs::create_dir_all(out).map_err(err)?;
        // Prove we can create files there now rather than fail every file later.
        tempfile::Builder::new().prefix(".imgbatch-probe-").tempfile_in(out).map_err(err)?;
        crate::output::mark(out).map_err(err)?;
        return Ok(inside_inputs(job).collect());
    }
    Ok(Vec::new())
}

/// A warning for each input folder the output folder lies inside.
fn inside_inputs(job: &Job) -> impl Iterator<Item = String> + '_ {
    let out = std::fs::canonicalize(&job.output.dir).ok();
    job.inputs.iter().filter(|input| input.is_dir()).filter_map(move |input| {
        let root = std::fs::canonicalize(input).ok()?;
        out.as_ref().filter(|o| o.starts_with(&root)).map(|_| {
            format!(
                "output folder {} is inside input {}: it is left out of this run and of later runs over {} (it holds {}/)",
                job.output.dir.display(),
                input.display(),
                input.display(),
                crate::output::MARKER
            )
        })
    })
}

/// Runs a job to the end and returns its report, telling `observer` of each
/// file as it finishes. Prints nothing and changes no process-wide state
/// (see [`crate::allocator::FollowBudget`] for the one setting it holds
/// while it runs). Equivalent to [`run_with_cancel`] with a flag nobody sets.
pub fn run(job: &Job, observer: &mut dyn Observer) -> Result<Report, SetupError> {
    run_with_cancel(job, &AtomicBool::new(false), observer)
}

pub use crate::process::Step;

/// Runs a job; setting `cancel` stops the walk, lets workers drop what is
/// queued, and returns the report of what was done (marked interrupted).
pub fn run_with_cancel(job: &Job, cancel: &AtomicBool, observer: &mut dyn Observer) -> Result<Report, SetupError> {
    run_with_step(job, cancel, process::process, observer)
}

/// [`run_with_cancel`] with `step` in place of decode → resize → encode:
/// with a step that does no image work, what is left is the walker, the
/// channels and the writer, whose ceiling in files/s benches/stages.rs
/// measures (and the tests inject faults this way).
pub fn run_with_step(
    job: &Job,
    cancel: &AtomicBool,
    step: Step,
    observer: &mut dyn Observer,
) -> Result<Report, SetupError> {
    for warning in setup(job)? {
        observer.warning(&warning);
    }
    let _policy = job.resources.follow_budget.then(crate::allocator::FollowBudget::new);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(job.resources.workers)
        .thread_name(|i| format!("{WORKER_PREFIX}-{i}"))
        .build()
        .map_err(|e| SetupError::Pool(e.to_string()))?;
    let start = Instant::now();
    let started_unix_s =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    let (task_tx, task_rx) = bounded::<Task>(job.resources.queue);
    let (result_tx, result_rx) = bounded::<Msg>(job.resources.queue);
    let counts = WalkCounts::default();
    let tally = Tally::default();
    // What is up to date: read once, before the walk (none for bench).
    let ledger = match job.output.mode {
        OutputMode::Discard => Ledger::default(),
        _ => Ledger::load(&job.output.dir),
    };
    let ledger = &ledger;
    let shared = Arc::new(Shared {
        tasks: task_rx,
        results: result_tx,
        opts: ProcessOptions::from_job(job),
        stop: AtomicBool::new(false),
        running: Mutex::new(HashMap::new()),
        budget: Budget::new(job.resources.max_memory),
        step,
        isolation: job.resources.isolation.clone(),
        allowance: limits::allowance(job.resources.max_memory, job.resources.workers),
    });
    let sh = Arc::clone(&shared);
    pool.spawn_broadcast(move |ctx| worker(&sh, ctx.index()));
    let mut report = std::thread::scope(|s| {
        let walker_results = shared.results.clone();
        let (counts, stop) = (&counts, &shared.stop);
        let bar = observer.wants_totals();
        let writer = Writer::new(job, &shared, cancel, observer);
        std::thread::Builder::new()
            .name("imgbatch-walker".into())
            .spawn_scoped(s, move || {
                let walker = Walker::new(job, ledger, task_tx, walker_results.clone(), counts, stop);
                if bar { walker.estimating_costs() } else { walker }.run();
                let _ = walker_results.send(Msg::WalkerDone);
            })
            .map_err(|e| SetupError::Pool(e.to_string()))?;
        if bar {
            // Only the bar needs the total: a listing, then a sample of heads.
            let (tally, stop) = (&tally, &shared.stop);
            std::thread::Builder::new()
                .name("imgbatch-counter".into())
                .spawn_scoped(s, move || walk::count(job, ledger, tally, stop))
                .map_err(|e| SetupError::Pool(e.to_string()))?;
        }
        Ok::<_, SetupError>(writer.run(&result_rx, &tally))
    })?;
    report.summary.hidden_ignored = counts.hidden.load(Ordering::Relaxed);
    report.summary.links_ignored = counts.links.load(Ordering::Relaxed);
    report.summary.shard = job.select.shard.map(|k| k.to_string());
    report.summary.elapsed_s = start.elapsed().as_secs_f64();
    report.summary.started_unix_s = started_unix_s;
    report.interrupted = cancel.load(Ordering::Relaxed);
    report.files.sort_by(|a, b| a.input.cmp(&b.input));
    report.not_images.sort_by(|a, b| a.input.cmp(&b.input));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FileError;
    use crate::job::{Operation, Target};
    use crate::process::resize::Resampler;
    use crate::report::Status;
    use crate::stages::StageTimes;
    use crate::task::Processed;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    static SLOW_ADMITTED: AtomicBool = AtomicBool::new(false);
    static SLOW_RETURNED: AtomicBool = AtomicBool::new(false);
    static GOOD_SAW_SLOW_RETURNED: AtomicBool = AtomicBool::new(false);

    /// `slow.png` holds 80 of the 100 MB budget for longer than the timeout;
    /// `good.png` asks for 50 MB once `slow.png` holds its share.
    fn step(
        task: &Task,
        _: &ProcessOptions,
        _: &mut Resampler,
        admit: &mut process::Admit<'_>,
    ) -> Result<Processed, FileError> {
        let done = || Processed { outputs: vec![], input_pixels: 1, warning: None, stages: StageTimes::default() };
        if task.input.ends_with("slow.png") {
            admit(80 << 20)?;
            SLOW_ADMITTED.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(1500));
            SLOW_RETURNED.store(true, Ordering::SeqCst);
            return Ok(done());
        }
        while !SLOW_ADMITTED.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        admit(50 << 20)?;
        GOOD_SAW_SLOW_RETURNED.store(SLOW_RETURNED.load(Ordering::SeqCst), Ordering::SeqCst);
        Ok(done())
    }

    #[test]
    fn a_timed_out_file_keeps_its_memory_until_its_thread_returns() {
        let dir = tempfile::tempdir().unwrap();
        let png = image::RgbImage::new(4, 4);
        for name in ["slow.png", "good.png"] {
            png.save(dir.path().join(name)).unwrap();
        }
        let target = Target { width: Some(2), height: None, fit: crate::job::Fit::Inside };
        let mut job = Job::new(vec![dir.path().to_path_buf()], dir.path().join("out"), Operation::Resize(target));
        job.resources.workers = 2;
        job.resources.max_memory = 100 << 20;
        job.resources.timeout = Some(Duration::from_millis(300));
        let report = run_with_step(&job, &AtomicBool::new(false), step, &mut crate::observer::Silent).unwrap();
        let status = |name: &str| report.files.iter().find(|f| f.input.ends_with(name)).map(|f| f.status);
        assert_eq!(status("slow.png"), Some(Status::Failed), "timed out");
        assert_eq!(status("good.png"), Some(Status::Ok));
        assert!(
            GOOD_SAW_SLOW_RETURNED.load(Ordering::SeqCst),
            "good.png got memory the abandoned slow.png's thread still held"
        );
    }
}
