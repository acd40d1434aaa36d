//! The fan-out / fan-in pipeline:
//!
//! ```text
//!  walker ──bounded(queue)──▶ N workers ──bounded(queue)──▶ writer ◀──▶ write threads
//!     └──────────── failures and skips ─────────────────▲
//! ```
//!
//! The walker (one thread) plans tasks; the workers (a rayon pool of
//! `--workers` threads, nothing nested inside) decode, resize and encode in
//! memory; the writer (the calling thread) collects every result, prints and
//! builds the report, and hands outputs to its write threads (one per 16
//! workers, see write_pool.rs), the only ones that write files. Bounded
//! channels keep the number of queued tasks flat however large the folder
//! is, and the [`Budget`] caps the decoded pixels the workers hold at once.
//!
//! A worker that exceeds `--timeout` cannot be killed (threads can't be), so
//! the writer reports its file as failed, forgets the worker and starts a
//! replacement. The run therefore ends when the walker and every *live*
//! worker have said they are done, not when the channels disconnect: a stuck
//! worker would hold its sender forever.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::budget::Budget;
use crate::cost::CostModel;
use crate::error::{FileError, SetupError, payload_message};
use crate::isolate::limits;
use crate::isolate::process::{Gone, WorkerProcess};
use crate::isolate::{Isolation, WorkerCommand};
use crate::job::{Job, OutputMode};
use crate::observer::{Observer, Totals};
use crate::process::resize::Resampler;
use crate::process::{self, ProcessOptions, Task};
use crate::report::{FileRecord, OutputRecord, Report, Status};
use crate::stages::StageTimes;
use crate::task::{FileResult, Msg, Outcome};
use crate::walk::{self, Tally, WalkCounts, Walker};
use crate::write_pool::{self, WritePool, Written};

/// Worker threads' names start with this: a caller's panic hook can leave
/// their panics unprinted, since each becomes its file's error.
pub const WORKER_PREFIX: &str = "imgbatch-worker";

/// This many failed writes in a row (disk full, read-only or vanished output
/// folder, file size limit) stop the run with exit 2 rather than failing
/// every remaining file one by one.
pub const WRITE_FAILURES_TO_STOP: u32 = 5;

/// After Ctrl-C, how long files in flight may take to finish before they
/// are dropped.
const CANCEL_GRACE: Duration = Duration::from_secs(2);

/// Checks what must hold before any file is touched (exit 2 otherwise).
fn setup(job: &Job) -> Result<(), SetupError> {
    job.clone().validated()?;
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
    if job.output_mode == OutputMode::Write {
        let out = &job.output_dir;
        if out.exists() && !out.is_dir() {
            return Err(SetupError::Invalid(format!("-o {}: is a file, not a folder", out.display())));
        }
        let err = |source| SetupError::Output { path: out.clone(), source };
        std::fs::create_dir_all(out).map_err(err)?;
        // Prove we can create files there now rather than fail every file later.
        tempfile::Builder::new().prefix(".imgbatch-probe-").tempfile_in(out).map_err(err)?;
    }
    Ok(())
}

/// Runs a job to the end and returns its report, telling `observer` of each
/// file as it finishes. Prints nothing and changes no process-wide state
/// (see [`crate::allocator::FollowBudget`] for the one setting it holds
/// while it runs). Equivalent to [`run_with_cancel`] with a flag nobody sets.
pub fn run(job: &Job, observer: &mut dyn Observer) -> Result<Report, SetupError> {
    run_with_cancel(job, &AtomicBool::new(false), observer)
}

pub use crate::process::Step;

/// A file a worker is busy with, watched for `--timeout`.
struct Running {
    input: PathBuf,
    seq: u64,
    /// Its estimated cost, for the bar.
    cost: u64,
    since: Instant,
    /// Waiting for memory: the timeout clock does not run.
    waiting: bool,
    /// The worker process running it, which `--timeout` kills.
    pid: Option<u32>,
}

/// Everything the workers share. Owned through an `Arc` because a worker
/// stuck in a decoder may outlive the run.
struct Shared {
    tasks: Receiver<Task>,
    results: Sender<Msg>,
    opts: ProcessOptions,
    /// Set on cancel or when the run must stop: the walker stops, workers
    /// drain the queue without processing.
    stop: AtomicBool,
    /// Worker id → what it is doing.
    running: Mutex<HashMap<usize, Running>>,
    budget: Budget,
    step: Step,
    /// Where the files are processed.
    isolation: Isolation,
    /// What a worker process may map beyond its admitted memory.
    allowance: u64,
}

impl Shared {
    fn running(&self) -> MutexGuard<'_, HashMap<usize, Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admission control: blocks until `need` more bytes of the budget are
    /// free, and adds them to `held`, the bytes worker `id` holds for its
    /// file. Only the worker itself gives them back, when its file is done:
    /// a file abandoned after `--timeout` keeps its share until the thread
    /// stuck in its decoder really returns, since that thread still holds
    /// the memory.
    fn admit(&self, id: usize, held: &Cell<u64>, waited: &Cell<f64>, need: u64) -> Result<(), FileError> {
        if let Some(r) = self.running().get_mut(&id) {
            r.waiting = true;
        }
        let asked = Instant::now();
        let acquired = self.budget.grow(held.get(), need);
        waited.set(waited.get() + asked.elapsed().as_secs_f64());
        if acquired.is_ok() {
            held.set(held.get() + need);
        }
        let mut running = self.running();
        let Some(r) = running.get_mut(&id) else {
            return Err(FileError::Abandoned);
        };
        r.waiting = false;
        acquired?;
        // The clock measures work, not the wait for memory.
        r.since += asked.elapsed();
        Ok(())
    }
}

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
    setup(job)?;
    let _policy = job.follow_budget.then(crate::allocator::FollowBudget::new);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(job.workers)
        .thread_name(|i| format!("{WORKER_PREFIX}-{i}"))
        .build()
        .map_err(|e| SetupError::Pool(e.to_string()))?;
    let start = Instant::now();
    let started_unix_s =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    let (task_tx, task_rx) = bounded::<Task>(job.queue);
    let (result_tx, result_rx) = bounded::<Msg>(job.queue);
    let counts = WalkCounts::default();
    let tally = Tally::default();
    let shared = Arc::new(Shared {
        tasks: task_rx,
        results: result_tx,
        opts: ProcessOptions::from_job(job),
        stop: AtomicBool::new(false),
        running: Mutex::new(HashMap::new()),
        budget: Budget::new(job.max_memory),
        step,
        isolation: job.isolation.clone(),
        allowance: limits::allowance(job.max_memory, job.workers),
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
                let walker = Walker::new(job, task_tx, walker_results.clone(), counts, stop);
                if bar { walker.estimating_costs() } else { walker }.run();
                let _ = walker_results.send(Msg::WalkerDone);
            })
            .map_err(|e| SetupError::Pool(e.to_string()))?;
        if bar {
            // Only the bar needs the total: a listing, then a sample of heads.
            let (tally, stop) = (&tally, &shared.stop);
            std::thread::Builder::new()
                .name("imgbatch-counter".into())
                .spawn_scoped(s, move || walk::count(job, tally, stop))
                .map_err(|e| SetupError::Pool(e.to_string()))?;
        }
        Ok::<_, SetupError>(writer.run(&result_rx, &tally))
    })?;
    report.summary.hidden_ignored = counts.hidden.load(Ordering::Relaxed);
    report.summary.links_ignored = counts.links.load(Ordering::Relaxed);
    report.summary.shard = job.shard.map(|k| k.to_string());
    report.summary.elapsed_s = start.elapsed().as_secs_f64();
    report.summary.started_unix_s = started_unix_s;
    report.interrupted = cancel.load(Ordering::Relaxed);
    report.files.sort_by(|a, b| a.input.cmp(&b.input));
    report.not_images.sort_by(|a, b| a.input.cmp(&b.input));
    Ok(report)
}

/// How a worker runs its files: on its own thread, or in its worker process
/// (started on the first file, started again after one dies).
enum Executor {
    Thread(Resampler),
    Process(WorkerCommand, Option<WorkerProcess>),
}

/// What became of one file on a worker.
enum Ran {
    /// It ended; the outcome goes to the writer.
    Ended(Outcome),
    /// The writer gave up on it (`--timeout`, Ctrl-C) and reported it.
    Abandoned,
}

/// One worker: takes tasks until the walker is done. `id` names it in the
/// table of running files.
fn worker(shared: &Arc<Shared>, id: usize) {
    let mut exec = match &shared.isolation {
        Isolation::Threads => Executor::Thread(Resampler::new()),
        Isolation::Processes(command) => Executor::Process(command.clone(), None),
    };
    let mut waits = StageTimes::default();
    loop {
        let idle = Instant::now();
        let Ok(task) = shared.tasks.recv() else { break };
        waits.wait_input_s += idle.elapsed().as_secs_f64();
        if shared.stop.load(Ordering::Relaxed) {
            // Keep draining so a walker blocked on a full queue can finish.
            continue;
        }
        let start = Instant::now();
        let entry = Running {
            input: task.input.clone(),
            seq: task.seq,
            cost: task.cost,
            since: start,
            waiting: false,
            pid: None,
        };
        shared.running().insert(id, entry);
        let (held, waited) = (Cell::new(0), Cell::new(0.0));
        let mut admit = |need: u64| shared.admit(id, &held, &waited, need);
        let ran = if task.up_to_date {
            settle(shared, id, existing_outputs(&task))
        } else {
            match &mut exec {
                Executor::Thread(resampler) => on_thread(shared, id, &task, resampler, &mut admit),
                Executor::Process(command, slot) => in_process(shared, id, &task, command, slot, &mut admit),
            }
        };
        // The file's memory is gone now, whether or not the run still waits for it.
        shared.budget.release(held.get());
        waits.wait_memory_s += waited.get();
        let outcome = match ran {
            Ran::Ended(outcome) => outcome,
            // A thread stuck past the timeout was replaced by the writer:
            // this one leaves. A process was killed: start another.
            Ran::Abandoned if matches!(exec, Executor::Thread(_)) => return,
            Ran::Abandoned => continue,
        };
        let (seq, cost, elapsed) = (task.seq, Some(task.cost), start.elapsed());
        let r = FileResult { input: task.input, seq, elapsed, cost, outcome };
        let blocked = Instant::now();
        if shared.results.send(Msg::File(r)).is_err() {
            break;
        }
        waits.wait_output_s += blocked.elapsed().as_secs_f64();
    }
    let _ = shared.results.send(Msg::WorkerDone(waits));
}

/// Runs `task` on this thread, a panic caught as the file's error.
fn on_thread(
    shared: &Shared,
    id: usize,
    task: &Task,
    resampler: &mut Resampler,
    admit: &mut process::Admit<'_>,
) -> Ran {
    let result = panic::catch_unwind(AssertUnwindSafe(|| (shared.step)(task, &shared.opts, resampler, admit)));
    let outcome = match result {
        Ok(Ok(done)) => Outcome::Done(done),
        Ok(Err(e)) => Outcome::Failed(e),
        Err(payload) => {
            // The resampler may hold half-updated buffers: start afresh.
            *resampler = Resampler::new();
            Outcome::Failed(FileError::Panic(payload_message(payload.as_ref())))
        }
    };
    settle(shared, id, outcome)
}

/// Takes worker `id`'s file out of the table: its outcome goes to the
/// writer, unless the writer already gave up on it and reported it.
fn settle(shared: &Shared, id: usize, outcome: Outcome) -> Ran {
    if shared.running().remove(&id).is_some() { Ran::Ended(outcome) } else { Ran::Abandoned }
}

/// Runs `task` in this worker's process (`slot`), starting one if needed.
/// A process that dies costs this file alone; one the writer killed is
/// reaped only after its entry left the table, so its pid cannot be reused
/// while the writer may still signal it.
fn in_process(
    shared: &Shared,
    id: usize,
    task: &Task,
    command: &WorkerCommand,
    slot: &mut Option<WorkerProcess>,
    admit: &mut process::Admit<'_>,
) -> Ran {
    if slot.is_none() {
        match WorkerProcess::spawn(command, &shared.opts) {
            Ok(p) => *slot = Some(p),
            Err(e) => {
                let failed = Outcome::Failed(FileError::WorkerStart(e.to_string()));
                return settle(shared, id, failed);
            }
        }
    }
    let Some(proc) = slot.as_mut() else { return Ran::Abandoned };
    // Under the table's lock: from here on the writer can kill it. Given up
    // on while it was starting: the task is not handed to it at all.
    match shared.running().get_mut(&id) {
        Some(r) => r.pid = Some(proc.pid()),
        None => return Ran::Abandoned,
    }
    let answer = proc.run(task, shared.allowance, admit);
    let ours = shared.running().remove(&id).is_some();
    match answer {
        Ok(result) if ours => Ran::Ended(result.map_or_else(Outcome::Failed, Outcome::Done)),
        Ok(_) => Ran::Abandoned,
        Err(Gone) => {
            let Some(dead) = slot.take() else { return Ran::Abandoned };
            let e = dead.reap();
            if ours { Ran::Ended(Outcome::Failed(e)) } else { Ran::Abandoned }
        }
    }
}

/// Kills a worker process given up on.
fn kill(pid: u32) {
    // SAFETY: signals a process we started and have not reaped (see in_process).
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

fn lossy(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The writer (the run's collector too): writes outputs, tells the observer,
/// watches timeouts and builds the report.
struct Writer<'a> {
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
    /// A dry run's planned outputs waiting for the files before them in the walk.
    plan: std::collections::BTreeMap<u64, Vec<(PathBuf, u32, u32)>>,
    /// The place in the walk of the next file whose plan may be printed.
    next_plan: u64,
    /// The threads that write outputs (none in a dry run, or if they could
    /// not be started: then this thread writes).
    writes: Option<WritePool<Pending>>,
}

/// What the writer keeps of an input while its outputs are being written.
struct Pending {
    input: PathBuf,
    ms: u64,
    /// Its size and cost, for the bar.
    bytes: (u64, u64),
    warning: Option<String>,
    pixels: u64,
}

impl<'a> Writer<'a> {
    fn new(job: &'a Job, shared: &'a Arc<Shared>, cancel: &'a AtomicBool, observer: &'a mut dyn Observer) -> Self {
        Writer {
            job,
            shared,
            cancel,
            report: Report::default(),
            totals: observer.wants_totals(),
            observer,
            live_workers: job.workers,
            next_worker_id: job.workers,
            write_failures: 0,
            costs: CostModel::for_job(job),
            plan: std::collections::BTreeMap::new(),
            next_plan: 0,
            writes: (job.output_mode == OutputMode::Write)
                .then(|| WritePool::new(write_pool::threads_for(job.workers), job.queue).ok())
                .flatten(),
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

    fn run(mut self, results: &Receiver<Msg>, tally: &Tally) -> Report {
        let ticker = crossbeam_channel::tick(Duration::from_millis(250));
        let answers = self.writes.as_ref().map_or_else(crossbeam_channel::never, |w| w.answers().clone());
        let mut walker_done = false;
        let mut cancelled_at = None;
        while !(walker_done && self.live_workers == 0 && self.writes.as_ref().is_none_or(|w| w.pending == 0)) {
            if self.cancel.load(Ordering::Relaxed) && cancelled_at.is_none() {
                self.shared.stop.store(true, Ordering::Relaxed);
                cancelled_at = Some(Instant::now());
            }
            let msg = crossbeam_channel::select! {
                recv(results) -> m => match m { Ok(m) => m, Err(_) => break },
                recv(answers) -> w => {
                    if let Ok(w) = w {
                        if let Some(pool) = &mut self.writes {
                            pool.answered();
                        }
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
        if let Some(pool) = &mut self.writes {
            pool.finish();
        }
        // Files the workers dropped after a stop never report: list the rest.
        for (path, width, height) in std::mem::take(&mut self.plan).into_values().flatten() {
            self.observer.planned(&path, width, height);
        }
        self.report
    }

    /// After a cancel, files still in flight past the grace period are
    /// reported as interrupted and their workers forgotten, so a stuck
    /// decoder cannot hold the exit.
    fn drop_running(&mut self) {
        let dropped: Vec<Running> = {
            let mut running = self.shared.running();
            let dropped: Vec<Running> = running.drain().map(|(_, r)| r).collect();
            dropped.iter().filter_map(|r| r.pid).for_each(kill);
            dropped
        };
        if self.shared.isolation == Isolation::Threads {
            self.live_workers -= dropped.len();
        }
        for r in dropped {
            if self.listing() {
                self.plan_lines(r.seq, Vec::new());
            }
            let ms = r.since.elapsed().as_millis() as u64;
            let error = Some("interrupted before it finished".into());
            let bytes = self.input_bytes(&r.input, Some(r.cost));
            self.finish(FileRecord { error, ..FileRecord::new(&r.input, Status::Interrupted, ms) }, 0, bytes);
        }
    }

    /// Reports files that ran past `--timeout`. A worker process is killed
    /// (while its entry is still in the table, so its pid is still its own)
    /// and its thread starts another; a stuck thread is replaced.
    fn expire_timeouts(&mut self) {
        let Some(limit) = self.job.timeout else { return };
        let expired: Vec<Running> = {
            let mut running = self.shared.running();
            let ids: Vec<usize> =
                running.iter().filter(|(_, r)| !r.waiting && r.since.elapsed() > limit).map(|(&id, _)| id).collect();
            let expired: Vec<Running> = ids.into_iter().filter_map(|id| running.remove(&id)).collect();
            expired.iter().filter_map(|r| r.pid).for_each(kill);
            expired
        };
        for r in expired {
            if self.listing() {
                self.plan_lines(r.seq, Vec::new());
            }
            let e = if self.shared.isolation == Isolation::Threads {
                self.replace_worker();
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

    /// Starts a worker thread in place of one stuck past `--timeout`.
    fn replace_worker(&mut self) {
        self.live_workers -= 1;
        let id = self.next_worker_id;
        self.next_worker_id += 1;
        let sh = Arc::clone(self.shared);
        // A one-thread pool rather than a bare thread, so that rayon work
        // inside a decoder stays on this worker like on the others.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(move |_| format!("{WORKER_PREFIX}-{id}"))
            .build();
        if let Ok(pool) = pool {
            // Dropping the pool lets its thread finish this job, then end.
            pool.spawn_broadcast(move |_| worker(&sh, id));
            self.live_workers += 1;
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

    /// Whether this run lists its planned outputs (a dry run without --json).
    fn listing(&self) -> bool {
        self.job.output_mode == (OutputMode::DryRun { list: true })
    }

    /// Hands a dry run's planned outputs on in walk order: those of file
    /// `seq` wait until every file before it has been heard of (a few, at
    /// most the queues' worth).
    fn plan_lines(&mut self, seq: u64, planned: Vec<(PathBuf, u32, u32)>) {
        self.plan.insert(seq, planned);
        while let Some(planned) = self.plan.remove(&self.next_plan) {
            for (path, width, height) in planned {
                self.observer.planned(&path, width, height);
            }
            self.next_plan += 1;
        }
    }

    fn file(&mut self, r: FileResult) {
        let ms = r.elapsed.as_millis() as u64;
        if self.listing() {
            let planned = match &r.outcome {
                Outcome::Done(done) => done.outputs.iter().map(|o| (o.path.clone(), o.width, o.height)).collect(),
                _ => Vec::new(),
            };
            self.plan_lines(r.seq, planned);
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
                    })
                    .collect();
                (FileRecord { outputs, ..FileRecord::new(input, Status::Skipped, ms) }, 0)
            }
            Outcome::Failed(e) => (FileRecord::failed(input, &e, ms), 0),
            Outcome::NotImage(kind) => {
                self.observer.not_image(input, bytes.0, bytes.1);
                self.report.not_image(input, kind);
                return;
            }
            // The run is stopping because writes fail: don't try more.
            Outcome::Done(_) if self.report.stopped.is_some() => return,
            Outcome::Done(done) => {
                self.report.summary.stages.add(&done.stages);
                let context =
                    Pending { input: input.to_path_buf(), ms, bytes, warning: done.warning, pixels: done.input_pixels };
                let Some(pool) = &mut self.writes else {
                    let started = Instant::now();
                    let result = match self.job.output_mode {
                        OutputMode::Write => write_pool::write_outputs(&done.outputs),
                        _ => Ok(write_pool::records(&done.outputs)),
                    };
                    let seconds = started.elapsed().as_secs_f64();
                    return self.written(Written { context, result: Some(result), seconds });
                };
                // Answered on the write threads' channel (see run).
                if let Err(e) = pool.send(done.outputs, context) {
                    (FileRecord::failed(input, &e, ms), 0)
                } else {
                    return;
                }
            }
        };
        self.finish(rec, pixels, bytes);
    }

    /// Records an input whose outputs were written (or failed to be).
    fn written(&mut self, w: Written<Pending>) {
        let Pending { input, ms, bytes, warning, pixels } = w.context;
        self.report.summary.stages.write_s += w.seconds;
        // Queued when the run stopped, and not attempted: dropped, as
        // results that arrive after the stop are.
        let Some(result) = w.result else { return };
        let (rec, pixels) = match result {
            Ok(outputs) => {
                self.write_failures = 0;
                (FileRecord { outputs, warning, ..FileRecord::new(&input, Status::Ok, ms) }, pixels)
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
            if let Some(pool) = &self.writes {
                pool.stop();
            }
        }
    }

    fn finish(&mut self, rec: FileRecord, pixels: u64, bytes: (u64, u64)) {
        self.observer.file(&rec, bytes.0, bytes.1);
        self.report.record(rec, pixels);
    }
}

/// The outputs of an input that is up to date, with their sizes from their
/// headers: read on a worker, so the single writer thread never decodes.
fn existing_outputs(task: &Task) -> Outcome {
    let existing = task
        .outputs
        .iter()
        .map(|(p, _)| {
            let bytes = std::fs::metadata(p).map_or(0, |m| m.len());
            let (width, height) = image::image_dimensions(p).unwrap_or((0, 0));
            (p.clone(), width, height, bytes)
        })
        .collect();
    Outcome::Skipped(existing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Operation, Target};
    use crate::task::Processed;
    use std::sync::atomic::AtomicBool;

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
        job.workers = 2;
        job.max_memory = 100 << 20;
        job.timeout = Some(Duration::from_millis(300));
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
