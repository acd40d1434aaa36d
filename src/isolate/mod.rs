//! Isolation: where a file's decoding runs, so that nothing a file does can
//! take the run down.
//!
//! Every decoder we use was written by someone else (rawler, jxl-oxide,
//! libjpeg-turbo, heic-rs, rav1d, image-rs) and some allocate or loop on what the
//! file says before any check of ours can look. Rust aborts the whole process
//! on a failed allocation, a C decoder can crash it, and a thread stuck in a
//! loop cannot be stopped. So, by default, each worker of the pool drives a
//! **worker process** (the same program, started with [`wire::WORKER_ARG`]):
//!
//! - the worker thread hands it one task at a time over a pipe and gets back
//!   the encoded outputs or the file's error, never pixels;
//! - the process runs under an address-space limit (`RLIMIT_AS`) that the
//!   run raises as the `--max-memory` budget admits the file's memory, plus
//!   a fixed [`limits::allowance`]: an allocation past it fails, and the file
//!   fails as "over the memory limit";
//! - a process that aborts, crashes or is killed costs its file one line
//!   (`decoder crashed (SIGSEGV): …`) and is started again for the next;
//! - past `--timeout` the run kills it: its core and memory are free at once;
//! - a seccomp filter ([`sandbox`]) takes away the network, starting
//!   programs and writing files, which no decoder needs.
//!
//! [`Isolation::Threads`] runs the step on the worker threads themselves, as
//! a library user's program that cannot serve as a worker does.

pub mod child;
pub mod limits;
pub mod process;
pub mod sandbox;
pub mod wire;

pub use crate::job::{Isolation, WorkerCommand};

/// This very program as its own worker: its `main` must call
/// [`child::serve`] when its first argument is [`wire::WORKER_ARG`].
pub fn this_program() -> std::io::Result<WorkerCommand> {
    Ok(WorkerCommand { program: std::env::current_exe()?, args: vec![wire::WORKER_ARG.into()] })
}
