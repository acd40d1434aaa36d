//! Ctrl-C: stop early, keep what is done, write the report, exit 130.
mod common;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn sigint_stops_the_run_with_exit_130_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let lake = std::fs::read(photos().join("lake.jpg")).unwrap();
    for i in 0..300 {
        std::fs::write(dir.path().join(format!("p{i:03}.jpg")), &lake).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let exe = assert_cmd::cargo::cargo_bin("imgbatch");
    let mut child = std::process::Command::new(exe)
        .args(["resize", "--width", "1500", "--workers", "1", "--quiet", "-o"])
        .arg(out.path().join("o"))
        .arg("--report")
        .arg(&report)
        .arg(dir.path())
        .spawn()
        .unwrap();
    // Interrupt once outputs appear (the run is under way), not after a
    // fixed sleep that a loaded machine can outrun or never reach.
    let started = Instant::now();
    while files_under(&out.path().join("o")).iter().filter(|f| !f.starts_with('.')).count() < 2 {
        assert!(started.elapsed() < Duration::from_secs(60), "no output appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "did not stop after SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let done = r["summary"]["ok"].as_u64().unwrap();
    assert!(done > 0 && done < 300, "{done} files done");
    let written = files_under(&out.path().join("o"));
    assert_eq!(written.len() as u64, done, "only whole outputs, no temporary files: {written:?}");
}
