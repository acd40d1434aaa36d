//! The OS side of isolation: a worker process's address-space limit
//! (`RLIMIT_AS`, set from the run with `prlimit`), how big it is now, and
//! how to name the way it died.

use std::io;

/// What a worker may map beyond what it had when its file started and what
/// the budget admitted for the file: the decoders' own allocations before
/// they can ask (headers, tables, a RAW's maker notes), the encoders'
/// buffers. A runaway decoder stops here. A quarter of the budget's share
/// per worker, between 64 and 256 MiB: all the allowances of a run add up to
/// at most half of `--max-memory` (once the budget is above 128 MiB a worker).
pub(crate) fn allowance(max_memory: u64, workers: usize) -> u64 {
    (max_memory / (2 * workers.max(1) as u64)).clamp(64 << 20, 256 << 20)
}

/// Sets process `pid`'s soft address-space limit to `bytes` (the hard limit
/// stays unlimited, so the run can raise it again).
pub(crate) fn set_address_space(pid: u32, bytes: u64) -> io::Result<()> {
    let limit = libc::rlimit { rlim_cur: bytes, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: prlimit reads the struct we pass and writes nothing (old limit null).
    let rc = unsafe { libc::prlimit(pid as libc::pid_t, libc::RLIMIT_AS, &limit, std::ptr::null_mut()) };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Process `pid`'s mapped address space in bytes (`VmSize`).
pub(crate) fn address_space(pid: u32) -> io::Result<u64> {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm"))?;
    let pages: u64 = statm
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unreadable statm"))?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    Ok(pages * page)
}

/// `SIGSEGV` for 11, and so on; `signal N` for the rest.
pub(crate) fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSYS => "SIGSYS",
        libc::SIGTRAP => "SIGTRAP",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowances_of_a_run_stay_within_half_the_budget() {
        assert_eq!(allowance(12 << 30, 2), 256 << 20);
        assert_eq!(allowance(512 << 20, 2), 128 << 20);
        assert_eq!(allowance(100 << 20, 2), 64 << 20, "a floor for tiny budgets");
        assert!(allowance(1 << 30, 4) * 4 <= (1 << 30) / 2);
    }

    #[test]
    fn a_limit_set_on_a_process_is_the_one_it_has() {
        let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        let vm = address_space(child.id()).unwrap();
        assert!(vm > 0);
        set_address_space(child.id(), 300 << 20).unwrap();
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
        let line = limits.lines().find(|l| l.starts_with("Max address space")).unwrap();
        assert!(line.contains(&(300u64 << 20).to_string()), "{line}");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
