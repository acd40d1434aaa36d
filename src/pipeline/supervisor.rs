//! The supervisor: the workers and what watches them. Each worker thread
//! takes tasks from the walker's channel and runs them on itself or in its
//! worker process (`crate::isolate`), started again after it dies; the table
//! of running files is how the collector gives up on a file past
//! `--timeout` or after Ctrl-C (killing its process while its pid is still
//! its own) and how memory admission pauses the timeout clock.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::budget::Budget;
use crate::error::{FileError, payload_message};
use crate::isolate::process::{Gone, WorkerProcess};
use crate::isolate::{Isolation, WorkerCommand};
use crate::process::resize::Resampler;
use crate::process::{self, ProcessOptions, Step, Task};
use crate::stages::StageTimes;
use crate::task::{FileResult, Msg, Outcome};

/// Worker threads' names start with this: a caller's panic hook can leave
/// their panics unprinted, since each becomes its file's error.
pub const WORKER_PREFIX: &str = "imgbatch-worker";

/// A file a worker is busy with, watched for `--timeout`.
pub(super) struct Running {
    pub(super) input: PathBuf,
    pub(super) seq: u64,
    /// Its estimated cost, for the bar.
    pub(super) cost: u64,
    pub(super) since: Instant,
    /// Waiting for memory: the timeout clock does not run.
    pub(super) waiting: bool,
    /// The worker process running it, which `--timeout` kills.
    pub(super) pid: Option<u32>,
}

/// Everything the workers share. Owned through an `Arc` because a worker
/// stuck in a decoder may outlive the run.
pub(super) struct Shared {
    pub(super) tasks: Receiver<Task>,
    pub(super) results: Sender<Msg>,
    pub(super) opts: ProcessOptions,
    /// Set on cancel or when the run must stop: the walker stops, workers
    /// drain the queue without processing.
    pub(super) stop: AtomicBool,
    /// Worker id → what it is doing.
    pub(super) running: Mutex<HashMap<usize, Running>>,
    pub(super) budget: Budget,
    pub(super) step: Step,
    /// Where the files are processed.
    pub(super) isolation: Isolation,
    /// What a worker process may map beyond its admitted memory.
    pub(super) allowance: u64,
}

impl Shared {
    pub(super) fn running(&self) -> MutexGuard<'_, HashMap<usize, Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admission control: blocks until `need` more bytes of the budget are
    /// free, and adds them to `held`, the bytes worker `id` holds for its
    /// file. Only the worker itself gives them back, when its file is done:
    /// a file abandoned after `--timeout` keeps its share until the thread
    /// stuck in its decoder really returns, since that thread still holds
    /// the memory.
    pub(super) fn admit(&self, id: usize, held: &Cell<u64>, waited: &Cell<f64>, need: u64) -> Result<(), FileError> {
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
pub(super) fn worker(shared: &Arc<Shared>, id: usize) {
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
        let r = FileResult { input: task.input, seq, elapsed, cost, outcome, stamp: task.stamp, redo: task.redo };
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

impl Shared {
    /// Takes every running file out of the table (Ctrl-C past its grace),
    /// killing their worker processes while their pids are still theirs.
    pub(super) fn give_up_all(&self) -> Vec<Running> {
        let mut running = self.running();
        let dropped: Vec<Running> = running.drain().map(|(_, r)| r).collect();
        dropped.iter().filter_map(|r| r.pid).for_each(kill);
        dropped
    }

    /// Takes the files past `limit` out of the table (the time spent
    /// waiting for memory does not count), killing their worker processes.
    pub(super) fn give_up_overdue(&self, limit: Duration) -> Vec<Running> {
        let mut running = self.running();
        let ids: Vec<usize> =
            running.iter().filter(|(_, r)| !r.waiting && r.since.elapsed() > limit).map(|(&id, _)| id).collect();
        let expired: Vec<Running> = ids.into_iter().filter_map(|id| running.remove(&id)).collect();
        expired.iter().filter_map(|r| r.pid).for_each(kill);
        expired
    }
}

/// Starts worker `id` on a thread of its own, in place of one stuck past
/// `--timeout`; false if no thread could be started.
pub(super) fn start_worker(shared: &Arc<Shared>, id: usize) -> bool {
    let sh = Arc::clone(shared);
    // A one-thread pool rather than a bare thread, so that rayon work
    // inside a decoder stays on this worker like on the others.
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(1).thread_name(move |_| format!("{WORKER_PREFIX}-{id}")).build();
    let Ok(pool) = pool else { return false };
    // Dropping the pool lets its thread finish this job, then end.
    pool.spawn_broadcast(move |_| worker(&sh, id));
    true
}
