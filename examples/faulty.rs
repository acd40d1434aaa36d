//! A worker program with faults on cue, for the tests of isolation,
//! timeouts and Ctrl-C: it serves as imgbatch's worker process
//! (`IMGBATCH_WORKER=target/release/examples/faulty imgbatch …`) and runs
//! each file as imgbatch does, except that an input whose path contains the
//! value of
//!
//! - `IMGBATCH_INJECT_PANIC` panics, as a decoder bug would;
//! - `IMGBATCH_INJECT_HANG` never returns, as a decoder caught in a loop would;
//! - `IMGBATCH_INJECT_CRASH` dies of SIGSEGV, as a C decoder would;
//! - `IMGBATCH_INJECT_ESCAPE` tries what a hijacked decoder would (create a
//!   file beside the input, open a socket, start a thread) and panics with
//!   what happened.
//!
//! `faulty threads INPUT OUTPUT` runs a thumbnail job in this process on the
//! worker threads instead (no isolation), with the same faults.
//!
//! The faults live here, in an example, so that no build of the `imgbatch`
//! binary contains them.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use imgbatch::process::{Admit, ProcessOptions, Processed, Task, process, resize::Resampler};
use imgbatch::{FileError, Job, Operation, Silent};

/// Whether `path` contains the value of the environment variable `var`.
fn hit(path: &Path, var: &str) -> bool {
    std::env::var(var).is_ok_and(|p| !p.is_empty() && path.to_string_lossy().contains(&p))
}

fn inject_faults(path: &Path) {
    if hit(path, "IMGBATCH_INJECT_PANIC") {
        panic!("injected panic for {}", path.display());
    }
    if hit(path, "IMGBATCH_INJECT_CRASH") {
        // SAFETY: ends the process, as a wild pointer in a C decoder would
        // (Rust's own SIGSEGV handler, for stack overflows, is put aside first).
        unsafe {
            libc::signal(libc::SIGSEGV, libc::SIG_DFL);
            libc::raise(libc::SIGSEGV);
        }
    }
    if hit(path, "IMGBATCH_INJECT_ESCAPE") {
        let created = std::fs::File::create(path.with_extension("escaped")).map(|_| ());
        let connected = std::net::TcpListener::bind("127.0.0.1:0").map(|_| ());
        // What a codec may do (libheif's libaom encoder starts threads): still works.
        let thread = std::thread::spawn(|| 42).join().map_err(|_| "thread panicked");
        panic!("escape: create {created:?}, listen {connected:?}, thread {thread:?}");
    }
    if hit(path, "IMGBATCH_INJECT_HANG") {
        loop {
            std::thread::park();
        }
    }
}

/// imgbatch's own step, after the faults.
fn faulty_step(
    task: &Task,
    opts: &ProcessOptions,
    resampler: &mut Resampler,
    admit: &mut Admit<'_>,
) -> Result<Processed, FileError> {
    inject_faults(&task.input);
    process(task, opts, resampler, admit)
}

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    match &args[..] {
        [first, ..] if first == imgbatch::isolate::wire::WORKER_ARG => {
            ExitCode::from(imgbatch::isolate::child::serve_with(faulty_step) as u8)
        }
        [mode, input, output] if mode == "threads" => {
            let op = Operation::Thumbs { sizes: vec![64], crop: false };
            let mut job = Job::new(vec![input.into()], output.into(), op);
            job.resources.workers = 1;
            let cancel = AtomicBool::new(false);
            match imgbatch::pipeline::run_with_step(&job, &cancel, faulty_step, &mut Silent) {
                Ok(report) => ExitCode::from(report.exit_status() as u8),
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        _ => {
            eprintln!("usage: faulty __imgbatch-worker | faulty threads INPUT OUTPUT");
            ExitCode::from(2)
        }
    }
}
