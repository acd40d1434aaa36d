//! The run's side of one worker process: start it, hand it a task, answer
//! its requests for memory (raising its address-space limit by what the
//! budget admits), read its outputs, and name how it died.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::WorkerCommand;
use super::limits;
use super::wire::{self, FromWorker, OUT_OF_MEMORY_EXIT, ToWorker};
use crate::error::FileError;
use crate::process::{Admit, ProcessOptions, Processed, Task};

/// The limit counts address space, and mimalloc reserves 1 GiB of it up
/// front, which a runaway decoder could then fill under any limit set after;
/// a worker reserves in steps of 64 MiB instead (zero.cr3 stops at 104 MB
/// of RSS instead of 448 MB).
const ARENA_RESERVE: (&str, &str) = ("MIMALLOC_ARENA_RESERVE", "64MiB");

/// The worker process ended, or its pipe broke or carried something that
/// is not the protocol, before it answered.
#[derive(Debug)]
pub(crate) struct Gone;

/// A running worker process.
pub(crate) struct WorkerProcess {
    child: Child,
    to: BufWriter<ChildStdin>,
    from: BufReader<ChildStdout>,
    /// Its stderr: a file of ours, emptied before each task.
    stderr: File,
    /// Its address-space limit now.
    limit: u64,
}

impl WorkerProcess {
    /// Starts a worker process and waits until it is ready.
    pub fn spawn(command: &WorkerCommand, opts: &ProcessOptions) -> io::Result<WorkerProcess> {
        let stderr = tempfile::tempfile()?;
        let mut cmd = Command::new(&command.program);
        cmd.args(&command.args);
        if std::env::var_os(ARENA_RESERVE.0).is_none() {
            cmd.env(ARENA_RESERVE.0, ARENA_RESERVE.1);
        }
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(stderr.try_clone()?);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // Dies with the run's thread that started it (a worker
                // thread, alive for the whole run), however the run ends.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                // Ctrl-C at the terminal reaches the whole process group:
                // the run decides what becomes of the files in flight.
                libc::signal(libc::SIGINT, libc::SIG_IGN);
                Ok(())
            });
        }
        let mut child = cmd.spawn()?;
        let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("no pipes to the worker process"));
        };
        let mut worker =
            WorkerProcess { child, to: BufWriter::new(to), from: BufReader::new(from), stderr, limit: u64::MAX };
        let ready = wire::send(&mut worker.to, &ToWorker::Hello(*opts)).and_then(|()| wire::recv(&mut worker.from));
        match ready {
            Ok(Some(FromWorker::Ready)) => Ok(worker),
            Ok(_) | Err(_) => {
                // Dropped: killed and waited for.
                let why = worker.last_words();
                Err(io::Error::other(format!("{} did not start as a worker{why}", command.program.display())))
            }
        }
    }

    /// Its process id, for the writer to kill it on `--timeout`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Processes `task`: the worker's answer, or [`Gone`] if it died first.
    /// `allowance` is what it may map beyond its size now and what `admit`
    /// grants. Where the limit cannot be read or set (no /proc, a
    /// container that forbids prlimit), the file runs without one: still
    /// isolated, only not held to the budget.
    pub fn run(
        &mut self,
        task: &Task,
        allowance: u64,
        admit: &mut Admit<'_>,
    ) -> Result<Result<Processed, FileError>, Gone> {
        let _ = self.stderr.set_len(0);
        let _ = self.stderr.seek(SeekFrom::Start(0));
        let base = limits::address_space(self.pid()).ok().map(|vm| vm + allowance);
        if let Some(base) = base {
            self.set_limit(base);
        }
        wire::send(&mut self.to, &ToWorker::Task(task.clone())).map_err(|_| Gone)?;
        let mut granted = 0u64;
        loop {
            match wire::recv(&mut self.from) {
                Ok(Some(FromWorker::Admit(need))) => {
                    let answer = admit(need).map_err(|e| e.to_string());
                    if answer.is_ok() {
                        granted = granted.saturating_add(need);
                        if let Some(base) = base {
                            self.set_limit(base.saturating_add(granted));
                        }
                    }
                    wire::send(&mut self.to, &ToWorker::Admitted(answer)).map_err(|_| Gone)?;
                }
                Ok(Some(FromWorker::Done(result))) => return Ok(result.map_err(FileError::InWorker)),
                Ok(Some(FromWorker::Ready)) | Ok(None) | Err(_) => return Err(Gone),
            }
        }
    }

    fn set_limit(&mut self, bytes: u64) {
        if limits::set_address_space(self.pid(), bytes).is_ok() {
            self.limit = bytes;
        }
    }

    /// After [`Gone`]: waits for the process and says what became of its
    /// file. One that broke the protocol but lives is killed first (a kill
    /// leaves the status of one already dead as it was).
    pub(crate) fn reap(mut self) -> FileError {
        let _ = self.child.kill();
        let status = self.child.wait();
        let detail = self.last_words();
        match status {
            Ok(s) if s.code() == Some(OUT_OF_MEMORY_EXIT) => FileError::OverMemoryLimit { limit: self.limit, detail },
            Ok(s) => {
                let how = match (s.signal(), s.code()) {
                    (Some(libc::SIGKILL), _) => "SIGKILL, by the system's out-of-memory killer?".to_string(),
                    (Some(sig), _) => limits::signal_name(sig),
                    (None, Some(code)) => format!("exit code {code}"),
                    (None, None) => "ended".to_string(),
                };
                FileError::Crashed { how, detail }
            }
            Err(e) => FileError::Crashed { how: "lost".into(), detail: format!(": {e}") },
        }
    }

    /// `: ` and the first line the process wrote on stderr for this task, or nothing.
    fn last_words(&mut self) -> String {
        let mut head = Vec::new();
        let len = self.stderr.metadata().map_or(0, |m| m.len());
        let _ = self.stderr.seek(SeekFrom::Start(0));
        let _ = (&mut self.stderr).take(len.min(4096)).read_to_end(&mut head);
        let text = String::from_utf8_lossy(&head);
        // The first line is the reason (Rust's "memory allocation of N bytes
        // failed", "has overflowed its stack"); a backtrace may follow.
        let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
        let line: String = line.chars().take(200).collect();
        if line.is_empty() { String::new() } else { format!(": {line}") }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        // Idle between tasks, or abandoned: either way it is done with.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
