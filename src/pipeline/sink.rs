//! Where a run's outputs go, one choice of three: files written atomically
//! by the write threads (a real run), a dry run's plan handed to the
//! observer in walk order, or nowhere (`bench` keeps only the sizes). The
//! collector hands every finished input here and does not ask which.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crossbeam_channel::Receiver;

use crate::job::{Job, OutputMode};
use crate::observer::Observer;
use crate::task::Rendered;
use crate::write_pool::{self, WritePool, Written};

/// One planned output of a dry run: path, width, height.
type Planned = (PathBuf, u32, u32);

/// Where outputs go.
pub(super) enum Sink<T: Send + 'static> {
    /// Written as files, by the write threads when they started (else on
    /// the collector's own thread).
    Files(Option<WritePool<T>>),
    /// A dry run: nothing written. When `list`, each input's planned
    /// outputs go to the observer once every input before it in the walk
    /// has been heard of (a few at most: the queues' worth).
    Plan { list: bool, waiting: BTreeMap<u64, Vec<Planned>>, next: u64 },
    /// Made in full and dropped.
    Memory,
}

impl<T: Send + 'static> Sink<T> {
    /// The sink `job.output.mode` asks for.
    pub(super) fn for_job(job: &Job) -> Self {
        match job.output.mode {
            OutputMode::Write => {
                Sink::Files(WritePool::new(write_pool::threads_for(job.resources.workers), job.resources.queue).ok())
            }
            OutputMode::DryRun { list } => Sink::Plan { list, waiting: BTreeMap::new(), next: 0 },
            OutputMode::Discard => Sink::Memory,
        }
    }

    /// Takes input `seq`'s outputs. Returns what became of them when that
    /// is known at once; `None` when the write threads will answer on
    /// [`Sink::answers`].
    pub(super) fn put(
        &mut self,
        seq: u64,
        outputs: Vec<Rendered>,
        context: T,
        observer: &mut dyn Observer,
    ) -> Option<Written<T>> {
        let started = std::time::Instant::now();
        let result = match self {
            Sink::Files(Some(pool)) => match pool.send(outputs, context) {
                Ok(()) => return None,
                Err((e, context)) => return Some(Written { context, result: Some(Err(e)), seconds: 0.0 }),
            },
            Sink::Files(None) => write_pool::write_outputs(&outputs),
            Sink::Plan { .. } => {
                let records = write_pool::records(&outputs);
                self.plan(seq, outputs.into_iter().map(|o| (o.path, o.width, o.height)).collect(), observer);
                Ok(records)
            }
            Sink::Memory => Ok(write_pool::records(&outputs)),
        };
        Some(Written { context, result: Some(result), seconds: started.elapsed().as_secs_f64() })
    }

    /// Input `seq` has no outputs (it failed, was skipped or given up on):
    /// a dry run's listing need not wait for it.
    pub(super) fn none(&mut self, seq: u64, observer: &mut dyn Observer) {
        self.plan(seq, Vec::new(), observer);
    }

    fn plan(&mut self, seq: u64, planned: Vec<Planned>, observer: &mut dyn Observer) {
        let Sink::Plan { list: true, waiting, next } = self else { return };
        waiting.insert(seq, planned);
        while let Some(planned) = waiting.remove(next) {
            for (path, width, height) in planned {
                observer.planned(&path, width, height);
            }
            *next += 1;
        }
    }

    /// The write threads' answers (never, for the other sinks).
    pub(super) fn answers(&self) -> Receiver<Written<T>> {
        match self {
            Sink::Files(Some(pool)) => pool.answers().clone(),
            _ => crossbeam_channel::never(),
        }
    }

    /// One answer was taken from [`Sink::answers`].
    pub(super) fn answered(&mut self) {
        if let Sink::Files(Some(pool)) = self {
            pool.answered();
        }
    }

    /// Whether outputs handed over still wait for their answer.
    pub(super) fn busy(&self) -> bool {
        matches!(self, Sink::Files(Some(pool)) if pool.pending > 0)
    }

    /// The run stops: writes not started are not attempted.
    pub(super) fn stop(&self) {
        if let Sink::Files(Some(pool)) = self {
            pool.stop();
        }
    }

    /// The end of the run: the write threads are joined; planned outputs
    /// still waiting (inputs dropped after a stop never report) are listed.
    pub(super) fn finish(&mut self, observer: &mut dyn Observer) {
        match self {
            Sink::Files(Some(pool)) => pool.finish(),
            Sink::Plan { list: true, waiting, .. } => {
                for (path, width, height) in std::mem::take(waiting).into_values().flatten() {
                    observer.planned(&path, width, height);
                }
            }
            _ => {}
        }
    }
}
