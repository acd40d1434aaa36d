//! Decoders run in worker processes: a crash costs its file, a file past
//! `--timeout` has its process killed at once (the run goes on with a new
//! one), and a decoder cannot write files or open sockets. The faults come
//! from the tests' worker program (examples/faulty.rs), which the real
//! binary runs as its workers when `IMGBATCH_WORKER` names it.
mod common;
use common::*;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn good_jpeg(path: &Path) {
    write_jpeg(path, 64, 48);
}

/// The worker processes of the run `pid` (its children).
fn workers_of(pid: u32) -> Vec<u32> {
    fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.flatten().collect::<Vec<_>>())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| c.split_whitespace().filter_map(|p| p.parse().ok()).collect::<Vec<u32>>())
        .collect()
}

#[test]
fn a_crashing_decoder_costs_only_its_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.jpg", "b_crash.jpg", "c.jpg", "d_crash.jpg", "e.jpg"] {
        good_jpeg(&dir.path().join(name));
    }
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .env("IMGBATCH_WORKER", faulty())
        .env("IMGBATCH_INJECT_CRASH", "_crash")
        .args(["thumbs", "--sizes", "32", "--workers", "1", "--json", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .assert()
        .code(1);
    let r = json(&o.get_output().stdout);
    for bad in ["b_crash.jpg", "d_crash.jpg"] {
        let e = entry(&r, bad);
        assert_eq!(e["status"], "failed");
        assert!(e["error"].as_str().unwrap().starts_with("decoder crashed (SIGSEGV)"), "{e}");
    }
    for good in ["a.jpg", "c.jpg", "e.jpg"] {
        assert_eq!(entry(&r, good)["status"], "ok", "the worker after a crash is a new one");
    }
    assert_eq!(files_under(out.path()), ["a_32.jpg", "c_32.jpg", "e_32.jpg"]);
}

#[test]
fn the_same_crash_in_thread_isolation_takes_the_run_down() {
    // What the worker processes are for: without them the crash is the run's.
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.jpg", "b_crash.jpg"] {
        good_jpeg(&dir.path().join(name));
    }
    let out = tempfile::tempdir().unwrap();
    // The same library and step as the worker's, on this process's threads.
    let status = Command::new(faulty())
        .env("IMGBATCH_INJECT_CRASH", "_crash")
        .arg("threads")
        .arg(dir.path())
        .arg(out.path())
        .status()
        .unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(libc::SIGSEGV));
}

#[test]
fn a_decoder_can_neither_write_files_nor_open_sockets_but_can_start_threads() {
    let dir = tempfile::tempdir().unwrap();
    good_jpeg(&dir.path().join("evil.jpg"));
    good_jpeg(&dir.path().join("fine.jpg"));
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .env("IMGBATCH_WORKER", faulty())
        .env("IMGBATCH_INJECT_ESCAPE", "evil")
        .args(["thumbs", "--json", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .assert()
        .code(1);
    let r = json(&o.get_output().stdout);
    let e = entry(&r, "evil.jpg")["error"].as_str().unwrap().to_string();
    assert!(e.contains("create Err") && e.contains("listen Err"), "{e}");
    assert_eq!(e.matches("PermissionDenied").count(), 2, "{e}");
    assert!(e.contains("thread Ok(42)"), "a decoder can still start threads: {e}");
    assert!(!dir.path().join("evil.escaped").exists());
    assert_eq!(entry(&r, "fine.jpg")["status"], "ok", "the run itself still writes");
}

#[test]
fn a_timed_out_file_has_its_process_killed_at_once_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a_hang1.jpg", "b_hang2.jpg", "c.jpg", "d.jpg"] {
        good_jpeg(&dir.path().join(name));
    }
    let out = tempfile::tempdir().unwrap();
    // One worker: a_hang1 then b_hang2 each hang until the timeout. Once the
    // run has reported a_hang1, its process must be gone while the run goes
    // on (with a new process on b_hang2).
    let mut run = Command::new(assert_cmd::cargo::cargo_bin("imgbatch"))
        .env("IMGBATCH_WORKER", faulty())
        .env("IMGBATCH_INJECT_HANG", "_hang")
        .args(["thumbs", "--sizes", "32", "--workers", "1", "--timeout", "2", "--json", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = run.id();
    let start = Instant::now();
    let first = loop {
        match workers_of(pid).as_slice() {
            [w] => break *w,
            _ => assert!(start.elapsed() < Duration::from_secs(30), "no worker process started"),
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = BufReader::new(run.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("a_hang1.jpg") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the run ended without reporting a_hang1");
    }
    assert!(line.contains("timed out after 2 s; its worker process was killed"), "{line}");
    // Killed means gone: no core or memory still held, while b_hang2 runs.
    let reported = Instant::now();
    while Path::new(&format!("/proc/{first}")).exists() {
        assert!(reported.elapsed() < Duration::from_secs(1), "the timed-out worker {first} still exists");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(run.try_wait().unwrap().is_none(), "the run should still be busy with b_hang2");
    let second = loop {
        match workers_of(pid).as_slice() {
            [w] => break *w,
            more => assert!(more.is_empty() && reported.elapsed() < Duration::from_secs(2), "workers: {more:?}"),
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_ne!(second, first, "a new worker process for b_hang2");
    let output = run.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let r = json(&output.stdout);
    assert_eq!(entry(&r, "b_hang2.jpg")["status"], "failed");
    assert_eq!(entry(&r, "c.jpg")["status"], "ok");
    assert_eq!(entry(&r, "d.jpg")["status"], "ok");
}
