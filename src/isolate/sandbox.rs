//! What a worker process gives up before its first file: a decoder needs to
//! read the one input it is given and to allocate, never to reach the
//! network, start programs, write, rename or delete files, or touch another
//! process. A seccomp filter makes those system calls fail with `EPERM`
//! (so a decoder that tries sees an error, not a crash). Opening a file for
//! reading stays allowed: the input's path is opened inside the worker.
//!
//! The filter is a few dozen BPF instructions per system call; a decode
//! makes few system calls (reads and mmaps), so its cost is below the noise
//! of the benches (see README).

use std::collections::BTreeMap;

use seccompiler::{
    BackendError, BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// Why the filter could not be applied.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SandboxError {
    /// The filter could not be built (a bug) for this architecture.
    #[error("seccomp filter: {0}")]
    Build(String),
    /// The kernel refused it (no seccomp in this kernel or container).
    #[error("seccomp: {0}")]
    Apply(String),
}

/// System calls a decoder has no use for, refused whatever their arguments.
const REFUSED: &[i64] = &[
    libc::SYS_socket,
    libc::SYS_connect,
    libc::SYS_bind,
    libc::SYS_listen,
    libc::SYS_accept,
    libc::SYS_accept4,
    libc::SYS_execve,
    libc::SYS_execveat,
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_kill,
    libc::SYS_tkill,
    libc::SYS_unlinkat,
    libc::SYS_renameat,
    libc::SYS_renameat2,
    libc::SYS_mkdirat,
    libc::SYS_linkat,
    libc::SYS_symlinkat,
    libc::SYS_fchmodat,
    libc::SYS_fchownat,
    libc::SYS_truncate,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_fork,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_vfork,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_creat,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_unlink,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_rename,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_mkdir,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_rmdir,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_link,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_symlink,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_chmod,
];

/// System calls whose arguments sit behind a pointer the filter cannot
/// read: they fail as if the kernel did not have them (ENOSYS), so that
/// callers fall back to the older call whose flags it can read (glibc's
/// pthread_create to clone, for the threads libheif's libaom encoder starts).
const UNKNOWN: &[i64] = &[libc::SYS_clone3, libc::SYS_openat2];

/// Rules that match when argument `arg` has any of `bits` set.
fn any_bit(arg: u8, bits: &[i32]) -> Result<Vec<SeccompRule>, BackendError> {
    bits.iter()
        .map(|&b| {
            let cond = SeccompCondition::new(arg, SeccompCmpArgLen::Dword, SeccompCmpOp::MaskedEq(b as u64), b as u64)?;
            SeccompRule::new(vec![cond])
        })
        .collect()
}

fn filter() -> Result<BpfProgram, BackendError> {
    let arch = TargetArch::try_from(std::env::consts::ARCH)?;
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = REFUSED.iter().map(|&s| (s, vec![])).collect();
    let writing = [libc::O_WRONLY, libc::O_RDWR, libc::O_CREAT, libc::O_TRUNC];
    rules.insert(libc::SYS_openat, any_bit(2, &writing)?);
    #[cfg(target_arch = "x86_64")]
    rules.insert(libc::SYS_open, any_bit(1, &writing)?);
    // A new thread shares this process and its filter; a new process is refused.
    let not_a_thread =
        SeccompCondition::new(0, SeccompCmpArgLen::Qword, SeccompCmpOp::MaskedEq(libc::CLONE_THREAD as u64), 0)?;
    rules.insert(libc::SYS_clone, vec![SeccompRule::new(vec![not_a_thread])?]);
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(libc::EPERM as u32), arch)?;
    filter.try_into()
}

/// The calls of [`UNKNOWN`], made to fail with ENOSYS. A second filter
/// because a filter has one action; on the other calls it allows, leaving
/// the decision to the first.
fn unknown_filter() -> Result<BpfProgram, BackendError> {
    let arch = TargetArch::try_from(std::env::consts::ARCH)?;
    let rules = UNKNOWN.iter().map(|&s| (s, vec![])).collect();
    SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(libc::ENOSYS as u32), arch)?.try_into()
}

/// Applies the filters to this process's threads and every thread started
/// after.
pub(crate) fn enter() -> Result<(), SandboxError> {
    for program in [filter(), unknown_filter()] {
        let program = program.map_err(|e| SandboxError::Build(e.to_string()))?;
        seccompiler::apply_filter_all_threads(&program).map_err(|e| SandboxError::Apply(e.to_string()))?;
    }
    Ok(())
}
