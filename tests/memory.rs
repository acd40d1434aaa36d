//! `--max-memory` holds against hostile files: peak RSS of the whole run
//! stays within 1.25 × the budget plus the process floor. The only test in
//! this binary, so the peak RSS of this process's children is the run's.
mod common;
use common::hostile;
use common::*;
use std::fs;

#[test]
fn bombs_and_timeouts_stay_within_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("icc_bomb.png"), hostile::png(64, 64, Some(1 << 30))).unwrap();
    // 768 MB of pixels each, slower to decode than the timeout: each
    // abandoned decoder keeps its memory until it returns, and the next
    // bomb must wait for it instead of piling up beside it.
    for i in 1..=3 {
        fs::write(dir.path().join(format!("pixel_bomb_{i}.png")), hostile::png(16000, 16000, None)).unwrap();
    }
    hostile::sparse_jpeg(&dir.path().join("huge.jpg"), 6 << 30);
    for i in 0..5 {
        write_jpeg(&dir.path().join(format!("good_{i}.jpg")), 640, 480);
    }
    let out = tempfile::tempdir().unwrap();
    let budget: u64 = 1500 << 20;
    let o = bin()
        .args(["thumbs", "--workers", "1", "--timeout", "1", "--max-memory", "1500M", "--json", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .assert()
        .code(1);
    let r = json(&o.get_output().stdout);
    for i in 0..5 {
        assert_eq!(entry(&r, &format!("good_{i}.jpg"))["status"], "ok");
    }
    assert_eq!(entry(&r, "icc_bomb.png")["status"], "ok");
    assert_eq!(entry(&r, "huge.jpg")["status"], "failed");
    let peak = children_peak_rss();
    let allowed = budget + budget / 4 + (100 << 20);
    assert!(peak <= allowed, "peak RSS {} MiB over {} MiB", peak >> 20, allowed >> 20);
}
