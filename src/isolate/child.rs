//! The worker process's side: takes over a process started with
//! [`WORKER_ARG`](super::wire::WORKER_ARG), reads tasks on stdin, runs the
//! same per-file step the threads run, asks the run for memory, and writes
//! the outputs back. Anything a decoder prints goes to stderr, which the run
//! reads only to quote the last line of a crash.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::fd::FromRawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;

use super::wire::{self, FromWorker, OUT_OF_MEMORY_EXIT, ToWorker};
use crate::allocator::ALLOCATION_FAILED;
use crate::error::{FileError, panic_message};
use crate::process::{self, Step, resize::Resampler};

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// An abort right after a failed allocation is the memory limit at work:
/// exit with the code that says so. Only async-signal-safe calls here.
extern "C" fn on_abort(_: libc::c_int) {
    if ALLOCATION_FAILED.load(Ordering::Relaxed) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(OUT_OF_MEMORY_EXIT) };
    }
    // Returning lets abort() go on to the default action (core, SIGABRT).
}

/// Process-wide set-up of a worker process: the protocol gets stdout to
/// itself (fd 1 then points at stderr, for decoders that print), Ctrl-C and
/// SIGTERM are the run's to handle, and a failed allocation's abort is
/// recognised. Returns the protocol's output.
fn take_over_process() -> std::io::Result<File> {
    // SAFETY: plain fd and signal calls on fds this process owns; the
    // handler only reads an atomic and calls _exit.
    unsafe {
        let proto = libc::dup(1);
        if proto < 0 || libc::dup2(2, 1) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGTERM, libc::SIG_IGN);
        // On the alternate signal stack Rust gives each thread: at the
        // memory limit the thread's own stack may not grow by the page the
        // handler needs (the kernel then kills it with SIGSEGV instead).
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_abort as *const () as libc::sighandler_t;
        act.sa_flags = libc::SA_ONSTACK;
        libc::sigemptyset(&mut act.sa_mask);
        if libc::sigaction(libc::SIGABRT, &act, std::ptr::null_mut()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(File::from_raw_fd(proto))
    }
}

/// Runs a worker process until the run closes its stdin; returns the exit
/// code. Call it first thing in `main` when the first argument is
/// [`WORKER_ARG`](super::wire::WORKER_ARG) (the `imgbatch` binary does).
pub fn serve() -> i32 {
    serve_with(process::process)
}

/// [`serve`] with `step` in place of imgbatch's per-file step: the tests'
/// worker (examples/faulty.rs) puts faults in front of it.
pub fn serve_with(step: Step) -> i32 {
    let Ok(out) = take_over_process() else { return 2 };
    panic::set_hook(Box::new(|info| {
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(panic_message(info)));
    }));
    // Decoders that use rayon (jpeg-decoder) get one thread, as on a worker
    // thread of the in-process pool: the run's parallelism is its workers.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(1).build_global();
    // After the last thread is started. A kernel without seccomp leaves the
    // worker unfiltered; the memory limit and the kill on --timeout do not
    // depend on it.
    let _ = super::sandbox::enter();
    // SAFETY: fd 0 is this process's stdin, the run's pipe, used by nothing else.
    let mut from_run = BufReader::new(unsafe { File::from_raw_fd(0) });
    serve_on(&mut from_run, &mut BufWriter::new(out), step)
}

/// The worker's protocol on any pair of streams: a Hello, then tasks until
/// the input ends. Returns the exit code: 0 at the end of the input, 2 on
/// anything that is not the protocol. Kept apart from [`serve`] so that the
/// fuzz target drives it in-process.
pub fn serve_on(from_run: &mut impl Read, to_run: &mut impl Write, step: Step) -> i32 {
    let opts = match wire::recv(from_run) {
        Ok(Some(ToWorker::Hello(opts))) => opts,
        _ => return 2,
    };
    if opts.follow_budget {
        crate::allocator::follow_budget();
    }
    if wire::send(to_run, &FromWorker::Ready).is_err() {
        return 2;
    }
    let mut resampler = Resampler::new();
    loop {
        let task = match wire::recv(from_run) {
            Ok(Some(ToWorker::Task(task))) => task,
            Ok(None) => return 0,
            _ => return 2,
        };
        ALLOCATION_FAILED.store(false, Ordering::Relaxed);
        let mut admit = |need: u64| -> Result<(), FileError> {
            let gone = || FileError::InWorker("the run has stopped".into());
            wire::send(to_run, &FromWorker::Admit(need)).map_err(|_| gone())?;
            match wire::recv(from_run) {
                Ok(Some(ToWorker::Admitted(Ok(())))) => Ok(()),
                Ok(Some(ToWorker::Admitted(Err(why)))) => Err(FileError::InWorker(why)),
                _ => Err(gone()),
            }
        };
        let result = panic::catch_unwind(AssertUnwindSafe(|| step(&task, &opts, &mut resampler, &mut admit)));
        let result = match result {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => {
                // The resampler may hold half-updated buffers: start afresh.
                resampler = Resampler::new();
                let msg = LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| "unknown".into());
                Err(FileError::Panic(msg).to_string())
            }
        };
        if wire::send(to_run, &FromWorker::Done(result)).is_err() {
            return 0;
        }
    }
}
