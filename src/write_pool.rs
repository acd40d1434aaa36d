//! The writer's hands on the file system: a few threads that do the atomic
//! writes (temporary file, write, rename; see output.rs). Creating a file
//! costs the kernel about 100 µs on ext4, so one thread doing every write
//! caps a run at about 9,000 outputs a second: 33 workers' worth of small
//! thumbnails. The writer thread still owns the report, the progress bar
//! and the order of events; it hands each input's outputs over here and
//! records what comes back.
//!
//! The queue to the threads is bounded, so a slow disk holds the writer
//! back, and through it the workers and the walker, as before.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};

use crate::error::FileError;
use crate::output;
use crate::report::OutputRecord;
use crate::task::Rendered;

/// One write thread for this many workers.
const WORKERS_PER_THREAD: usize = 16;

/// The most write threads (a disk gains nothing from more).
const MAX_THREADS: usize = 8;

/// How many write threads a run of `workers` workers gets: one kept up
/// with 33 workers making small thumbnails (benches/README).
pub(crate) fn threads_for(workers: usize) -> usize {
    workers.div_ceil(WORKERS_PER_THREAD).clamp(1, MAX_THREADS)
}

/// What came of writing one input's outputs; `context` is what the writer
/// handed over with them.
pub(crate) struct Written<T> {
    /// What the writer handed over with the outputs.
    pub context: T,
    /// `None` when the run stopped before this input's turn: not attempted.
    pub result: Option<Result<Vec<OutputRecord>, FileError>>,
    /// Seconds the write took on its thread.
    pub seconds: f64,
}

/// Write threads, their queue and their answers.
pub(crate) struct WritePool<T> {
    jobs: Option<Sender<(Vec<Rendered>, T)>>,
    done: Receiver<Written<T>>,
    threads: Vec<JoinHandle<()>>,
    /// Set when the run stops: what is still queued is not written.
    stopped: Arc<AtomicBool>,
    /// Inputs handed over and not yet answered.
    pub pending: usize,
}

impl<T: Send + 'static> WritePool<T> {
    /// Starts `threads` write threads with room for `queue` inputs waiting.
    pub fn new(threads: usize, queue: usize) -> std::io::Result<Self> {
        let (jobs, todo) = bounded::<(Vec<Rendered>, T)>(queue);
        // Unbounded, so a thread never waits on the writer while the writer
        // waits on the queue; at most `queue + threads` answers exist.
        let (answer, done) = unbounded();
        let stopped = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|i| {
                let (todo, answer, stopped) = (todo.clone(), answer.clone(), Arc::clone(&stopped));
                std::thread::Builder::new().name(format!("imgbatch-write-{i}")).spawn(move || {
                    for (outputs, context) in todo {
                        let started = Instant::now();
                        let result = (!stopped.load(Ordering::Relaxed)).then(|| {
                            panic::catch_unwind(AssertUnwindSafe(|| write_outputs(&outputs)))
                                .unwrap_or_else(|_| Err(FileError::Panic("the write thread panicked".into())))
                        });
                        let seconds = started.elapsed().as_secs_f64();
                        if answer.send(Written { context, result, seconds }).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(WritePool { jobs: Some(jobs), done, threads, stopped, pending: 0 })
    }

    /// Stops writing: inputs still queued come back unattempted.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// Hands one input's outputs to the threads; waits while they are
    /// `queue` inputs behind.
    /// The context comes back with the error when they have stopped.
    pub fn send(&mut self, outputs: Vec<Rendered>, context: T) -> Result<(), (FileError, T)> {
        let gone = || FileError::Panic("the write threads have stopped".into());
        let Some(jobs) = self.jobs.as_ref() else { return Err((gone(), context)) };
        jobs.send((outputs, context)).map_err(|e| (gone(), e.into_inner().1))?;
        self.pending += 1;
        Ok(())
    }

    /// Where the answers come.
    pub fn answers(&self) -> &Receiver<Written<T>> {
        &self.done
    }

    /// Counts an answer taken from [`answers`](Self::answers).
    pub(crate) fn answered(&mut self) {
        self.pending = self.pending.saturating_sub(1);
    }

    /// Lets the threads finish what they hold and waits for them.
    pub fn finish(&mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Writes every output of one input: all of them or, when one cannot be
/// written, none.
pub fn write_outputs(outputs: &[Rendered]) -> Result<Vec<OutputRecord>, FileError> {
    let files: Vec<(&std::path::Path, &[u8])> =
        outputs.iter().map(|o| (o.path.as_path(), o.bytes.as_slice())).collect();
    output::write_all_or_none(&files).map_err(|(path, source)| FileError::Write { path, source })?;
    Ok(records(outputs))
}

/// The report's records of `outputs`, written or not.
pub fn records(outputs: &[Rendered]) -> Vec<OutputRecord> {
    outputs
        .iter()
        .map(|o| OutputRecord {
            path: o.path.to_string_lossy().into_owned(),
            width: o.width,
            height: o.height,
            bytes: o.bytes.len() as u64,
            crop: o.crop,
            chosen: o.chosen.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(path: std::path::PathBuf, bytes: &[u8]) -> Rendered {
        Rendered { path, width: 1, height: 1, crop: None, bytes: bytes.to_vec(), chosen: None }
    }

    #[test]
    fn threads_grow_with_workers_up_to_a_limit() {
        assert_eq!(threads_for(1), 1);
        assert_eq!(threads_for(16), 1);
        assert_eq!(threads_for(17), 2);
        assert_eq!(threads_for(64), 4);
        assert_eq!(threads_for(1000), MAX_THREADS);
    }

    /// Every input handed over is answered once, with its own context, and
    /// its files are whole on disk; a failed one says which file.
    #[test]
    fn every_input_is_written_and_answered_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut pool = WritePool::new(3, 2).unwrap();
        let answers = pool.answers().clone();
        let writer = std::thread::spawn(move || {
            let mut got: Vec<(usize, bool)> =
                answers.iter().map(|w| (w.context, w.result.is_some_and(|r| r.is_ok()))).collect();
            got.sort();
            got
        });
        std::fs::write(dir.path().join("blocker"), b"").unwrap();
        for i in 0..40usize {
            let path =
                if i == 7 { dir.path().join("blocker/x.jpg") } else { dir.path().join(format!("d{}/{i}.jpg", i % 4)) };
            pool.send(vec![rendered(path, format!("file {i}").as_bytes())], i).unwrap();
        }
        pool.finish();
        drop(pool);
        let got = writer.join().unwrap();
        assert_eq!(got.len(), 40);
        for (i, ok) in got {
            assert_eq!(ok, i != 7, "input {i}");
            if i != 7 {
                let written = std::fs::read(dir.path().join(format!("d{}/{i}.jpg", i % 4))).unwrap();
                assert_eq!(written, format!("file {i}").as_bytes());
            }
        }
    }

    #[test]
    fn after_a_stop_nothing_more_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut pool = WritePool::new(1, 8).unwrap();
        pool.stop();
        for i in 0..3usize {
            pool.send(vec![rendered(dir.path().join(format!("{i}.jpg")), b"x")], i).unwrap();
        }
        let answers: Vec<_> = (0..3).map(|_| pool.answers().recv().unwrap()).collect();
        pool.finish();
        assert!(answers.iter().all(|w| w.result.is_none()), "a write was attempted after the stop");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
