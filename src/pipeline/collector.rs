//! The collector (the run's single writer): hears every file's outcome,
//! hands the outputs to the sink (files, a dry run's plan, or nowhere; see
//! sink.rs), tells the caller's observer, gives up on files past
//! `--timeout` or after Ctrl-C through the supervisor, stops the run when
//! writes keep failing, and builds the report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::record::Record;
use super::sink::Sink;
use super::supervisor::{self, Shared};
use crate::cost::CostModel;
use crate::error::FileError;
use crate::isolate::Isolation;
use crate::job::Job;
use crate::observer::{Observer, Totals};
use crate::report::{FileRecord, OutputRecord, Report, Status};
use crate::task::{FileResult, Msg, Outcome, Redo, Stamp};
use crate::walk::Tally;
use crate::write_pool::Written;

/// This many failed writes in a row (disk full, read-only or vanished output
/// folder, file size limit) stop the run with exit 2 rather than failing
/// every remaining file one by one.
pub(crate) const WRITE_FAILURES_TO_STOP: u32 = 5;

/// After Ctrl-C, how long files in flight may take to finish before they
/// are dropped.
const CANCEL_GRACE: Duration = Duration::from_secs(2);

fn lossy(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The writer (the run's collector too): writes outputs, tells the observer,
/// watches timeouts and builds the report.
pub(super) struct Writer<'a> {
    job: &'a Job,
    shared: &'a Arc<Shared>,
    cancel: &'a AtomicBool,
    report: Report,
    observer: &'a mut dyn Observer,
    /// The observer wants the job's size and each file's.
    totals: bool,
    live_workers: usize,
    next_worker_id: usize,
    /// Failed writes since the last successful one.
    write_failures: u32,
    /// How the bar weighs a file the walker did not estimate.
    costs: CostModel,
    /// Where the outputs go.
    sink: Sink<Pending>,
    /// The output folder's record of what made each output.
    record: Record,
}

/// What the writer keeps of an input while its outputs are being written.
struct Pending {
    input: PathBuf,
    ms: u64,
    /// Its size and cost, for the bar.
    bytes: (u64, u64),
    warning: Option<String>,
    pixels: u64,
    /// What made its outputs, and their paths, for the record.
    stamp: Stamp,
    paths: Vec<PathBuf>,
    redo: Option<Redo>,
}

impl<'a> Writer<'a> {
    pub(super) fn new(
        job: &'a Job,
        shared: &'a Arc<Shared>,
        cancel: &'a AtomicBool,
        observer: &'a mut dyn Observer,
    ) -> Self {
        Writer {
            job,
            shared,
            cancel,
            report: Report::default(),
            totals: observer.wants_totals(),
            observer,
            live_workers: job.resources.workers,
            next_worker_id: job.resources.workers,
            write_failures: 0,
            costs: CostModel::for_job(job),
            sink: Sink::for_job(job),
            record: Record::for_job(job),
        }
    }

    fn show_total(&mut self, tally: &Tally) {
        if !self.totals {
            return;
        }
        self.observer.totals(Totals {
            files: tally.files.load(Ordering::Relaxed),
            bytes: tally.bytes.load(Ordering::Relaxed),
            cost: tally.cost(),
            complete: tally.done.load(Ordering::Relaxed),
        });
        let in_flight = self.shared.running().values().map(|r| r.cost).sum();
        self.observer.in_flight(in_flight);
    }

    pub(super) fn run(mut self, results: &Receiver<Msg>, tally: &Tally) -> Report {
        let ticker = crossbeam_channel::tick(Duration::from_millis(250));
        let answers = self.sink.answers();
        let mut walker_done = false;
        let mut cancelled_at = None;
        while !(walker_done && self.live_workers == 0 && !self.sink.busy()) {
            if self.cancel.load(Ordering::Relaxed) && cancelled_at.is_none() {
                self.shared.stop.store(true, Ordering::Relaxed);
                cancelled_at = Some(Instant::now());
            }
            let msg = crossbeam_channel::select! {
                recv(results) -> m => match m { Ok(m) => m, Err(_) => break },
                recv(answers) -> w => {
                    if let Ok(w) = w {
                        self.sink.answered();
                        self.written(w);
                    }
                    continue;
                }
                recv(ticker) -> _ => {
                    self.show_total(tally);
                    self.expire_timeouts();
                    if cancelled_at.is_some_and(|t| t.elapsed() > CANCEL_GRACE) {
                        self.drop_running();
                    }
                    continue;
                }
            };
            match msg {
                Msg::File(r) => {
                    self.show_total(tally);
                    self.file(r);
                }
                Msg::WorkerDone(waits) => {
                    self.live_workers -= 1;
                    self.report.summary.stages.add(&waits);
                }
                Msg::WalkerDone => walker_done = true,
            }
        }
        self.sink.finish(self.observer);
        let stopped = cancelled_at.is_some() || self.report.stopped.is_some();
        self.record.finish(self.job, stopped, &mut self.report, self.observer);
        self.report
    }

    /// After a cancel, files still in flight past the grace period are
    /// reported as interrupted and their workers forgotten, so a stuck
    /// decoder cannot hold the exit.
    fn drop_running(&mut self) {
        let dropped = self.shared.give_up_all();
        if self.shared.isolation == Isolation::Threads {
            self.live_workers -= dropped.len();
        }
        for r in dropped {
            self.sink.none(r.seq, self.observer);
            let ms = r.since.elapsed().as_millis() as u64;
            let error = Some("interrupted before it finished".into());
            let bytes = self.input_bytes(&r.input, Some(r.cost));
            self.finish(FileRecord { error, ..FileRecord::new(&r.input, Status::Interrupted, ms) }, 0, bytes);
        }
    }

    /// Reports files that ran past `--timeout`: their worker processes are
    /// killed and replaced by their threads; a stuck thread is replaced here.
    fn expire_timeouts(&mut self) {
        let Some(limit) = self.job.resources.timeout else { return };
        for r in self.shared.give_up_overdue(limit) {
            self.sink.none(r.seq, self.observer);
            let e = if self.shared.isolation == Isolation::Threads {
                self.live_workers -= 1;
                let id = self.next_worker_id;
                self.next_worker_id += 1;
                if supervisor::start_worker(self.shared, id) {
                    self.live_workers += 1;
                }
                FileError::Timeout(limit.as_secs_f64())
            } else {
                FileError::Killed(limit.as_secs_f64())
            };
            let elapsed = r.since.elapsed();
            let rec = FileRecord::failed(&r.input, &e, elapsed.as_millis() as u64);
            let bytes = self.input_bytes(&r.input, Some(r.cost));
            self.finish(rec, 0, bytes);
        }
    }

    /// The size and estimated cost of an input (the walker's estimate when
    /// it made one), for the bar only.
    fn input_bytes(&self, input: &Path, cost: Option<u64>) -> (u64, u64) {
        if !self.totals {
            return (0, 0);
        }
        let len = std::fs::metadata(input).map_or(0, |m| m.len());
        (len, cost.unwrap_or_else(|| self.costs.guess(input, len)))
    }

    fn file(&mut self, r: FileResult) {
        let ms = r.elapsed.as_millis() as u64;
        if !matches!(r.outcome, Outcome::Done(_)) {
            self.sink.none(r.seq, self.observer);
        }
        let input = r.input.as_path();
        let bytes = self.input_bytes(input, r.cost);
        let (rec, pixels) = match r.outcome {
            Outcome::Skipped(existing) => {
                let outputs = existing
                    .iter()
                    .map(|(p, width, height, bytes)| OutputRecord {
                        path: lossy(p),
                        width: *width,
                        height: *height,
                        bytes: *bytes,
                        crop: None,
                        chosen: None,
                    })
                    .collect();
                (FileRecord { outputs, ..FileRecord::new(input, Status::Skipped, ms) }, 0)
            }
            Outcome::Failed(e) => (FileRecord::failed(input, &e, ms), 0),
            Outcome::Paired(with) => {
                let paired_with = Some(lossy(&with));
                (FileRecord { paired_with, ..FileRecord::new(input, Status::Paired, ms) }, 0)
            }
            Outcome::NotImage(kind) => {
                self.observer.not_image(input, bytes.0, bytes.1);
                self.report.not_image(input, kind);
                return;
            }
            // The run is stopping because writes fail: don't try more.
            Outcome::Done(_) if self.report.stopped.is_some() => return,
            Outcome::Done(done) => {
                self.report.summary.stages.add(&done.stages);
                let paths = done.outputs.iter().map(|o| o.path.clone()).collect();
                let context = Pending {
                    input: input.to_path_buf(),
                    ms,
                    bytes,
                    warning: done.warning,
                    pixels: done.input_pixels,
                    stamp: r.stamp,
                    paths,
                    redo: r.redo,
                };
                // Answered now, or later on the write threads' channel (see run).
                if let Some(written) = self.sink.put(r.seq, done.outputs, context, self.observer) {
                    self.written(written);
                }
                return;
            }
        };
        self.finish(rec, pixels, bytes);
    }

    /// Records an input whose outputs were written (or failed to be).
    fn written(&mut self, w: Written<Pending>) {
        let Pending { input, ms, bytes, warning, pixels, stamp, paths, redo } = w.context;
        self.report.summary.stages.write_s += w.seconds;
        // Queued when the run stopped, and not attempted: dropped, as
        // results that arrive after the stop are.
        let Some(result) = w.result else { return };
        let (rec, pixels) = match result {
            Ok(outputs) => {
                self.write_failures = 0;
                let written: Vec<(&Path, u64)> =
                    paths.iter().map(PathBuf::as_path).zip(outputs.iter().map(|o| o.bytes)).collect();
                self.record.add(&stamp, &written, self.observer);
                let rec = FileRecord { outputs, warning, redone: redo, ..FileRecord::new(&input, Status::Ok, ms) };
                (rec, pixels)
            }
            Err(e) => {
                self.write_failed(&e);
                (FileRecord::failed(&input, &e, ms), 0)
            }
        };
        self.finish(rec, pixels, bytes);
    }

    fn write_failed(&mut self, e: &FileError) {
        self.write_failures += 1;
        if self.write_failures >= WRITE_FAILURES_TO_STOP && self.report.stopped.is_none() {
            let why = format!("stopped: the last {} writes all failed (last: {e})", self.write_failures);
            self.observer.stopping(&why);
            self.report.stopped = Some(why);
            self.shared.stop.store(true, Ordering::Relaxed);
            self.sink.stop();
        }
    }

    fn finish(&mut self, rec: FileRecord, pixels: u64, bytes: (u64, u64)) {
        self.observer.file(&rec, bytes.0, bytes.1);
        self.report.record(rec, pixels);
    }
}
