//! The progress bar, seen as a user sees it: the binary runs on a pseudo
//! terminal (the bar is only drawn on one) and the test reads every byte it
//! drew.

mod common;

use std::fs::{self, File};
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};

use common::write_jpeg;

/// Runs `args` with stdin, stdout and stderr on a new pseudo terminal;
/// returns the exit code and everything written to the terminal.
fn run_on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two fds into the integers given; the name,
    // termios and window-size arguments may be null.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: both fds were just opened by openpty and are owned here alone.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imgbatch"));
    cmd.args(args)
        .envs(env.iter().copied())
        .env("COLUMNS", "120")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().unwrap();
    // The child holds the only copies of the terminal's other end now: when
    // it exits, reading the master ends (with EIO on Linux).
    drop(cmd);
    let mut out = Vec::new();
    let mut master = File::from(master);
    let mut buf = [0u8; 65536];
    loop {
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    let status = child.wait().unwrap();
    (status.code(), String::from_utf8_lossy(&out).into_owned())
}

/// `thumbs` on one worker with the input whose name holds `stuck` hanging
/// until `--timeout 1`: the run lasts over a second, so the bar is drawn
/// many times, with the count long finished.
fn thumbs_with_a_stuck_file(input: &Path, out: &Path, extra: &[&str], stuck: &str) -> (Option<i32>, String) {
    let (out, input) = (out.to_str().unwrap(), input.to_str().unwrap());
    let mut args = vec!["thumbs", "--sizes", "64", "--workers", "1", "--timeout", "1", "-o", out, input];
    args.extend_from_slice(extra);
    let worker = common::faulty();
    run_on_a_terminal(
        &args,
        &[("IMGBATCH_WORKER", worker.to_str().expect("UTF-8 path")), ("IMGBATCH_INJECT_HANG", stuck)],
    )
}

fn photos(dir: &Path, n: usize) {
    for i in 0..n {
        write_jpeg(&dir.join(format!("p{i:02}.jpg")), 640, 480);
    }
}

#[test]
fn the_bar_shows_the_whole_job_and_is_gone_before_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("in"), dir.path().join("out"));
    fs::create_dir(&input).unwrap();
    photos(&input, 7);
    let (code, screen) = thumbs_with_a_stuck_file(&input, &out, &[], "p03");
    assert_eq!(code, Some(1), "{screen}");
    // The total is the whole folder from the start of the run (not the files
    // the walker has reached), with an ETA once counted.
    let frames: Vec<&str> = screen.split(['\r', '\n']).filter(|l| l.contains(" files")).collect();
    assert!(frames.iter().any(|f| f.contains("/7 files") && f.contains("ETA")), "{screen}");
    assert!(!frames.iter().any(|f| f.contains("/8 files") || f.contains("/6 files")), "{screen}");
    // The stuck file gets its one line, and the summary comes after the bar's
    // last frame, which was erased: nothing of the bar is left below it.
    let summary = screen.find("thumbs: 6 ok").unwrap_or_else(|| panic!("no summary: {screen}"));
    let last_frame = screen.rfind("ETA").unwrap();
    assert!(last_frame < summary, "{screen}");
    let erased = screen[last_frame..summary].contains("\x1b[2K");
    assert!(erased, "the last frame was not erased before the summary: {screen:?}");
    assert_eq!(screen.matches("p03.jpg: ").count(), 1, "{screen}");
}

#[test]
fn no_bar_is_drawn_with_quiet_or_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("in"), dir.path().join("out"));
    fs::create_dir(&input).unwrap();
    photos(&input, 3);
    let (code, screen) = run_on_a_terminal(
        &["thumbs", "--sizes", "64", "--quiet", "-o", out.to_str().unwrap(), input.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, Some(0));
    assert!(!screen.contains("files ·") && !screen.contains("ETA"), "{screen}");
    let piped =
        common::bin().args(["thumbs", "--sizes", "64", "--force", "-o"]).arg(&out).arg(&input).output().unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success() && !stderr.contains("ETA"), "{stderr}");
    assert!(stderr.contains("thumbs: 3 ok"), "{stderr}");
}

#[test]
fn a_shard_says_which_it_is_on_the_bar() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("in"), dir.path().join("out"));
    fs::create_dir(&input).unwrap();
    photos(&input, 12);
    // Hang whichever file of shard 1/2 comes first, so the bar is drawn a while.
    let first = (0..12)
        .map(|i| format!("p{i:02}"))
        .find(|n| imgbatch::shard::shard_of(Path::new(&format!("{n}.jpg")), 2) == 1)
        .unwrap();
    let (code, screen) = thumbs_with_a_stuck_file(&input, &out, &["--shard", "1/2"], &first);
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("shard 1/2 · "), "{screen}");
    assert!(screen.contains("thumbs (shard 1/2): "), "{screen}");
}
