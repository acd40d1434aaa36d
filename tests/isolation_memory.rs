//! Files whose decoder allocates without end (a CR3 box of size 0, a NEF
//! whose IFD names itself as the next), or asks for 2^62 bytes at once,
//! fail alone: the worker process stops at its memory limit, the file
//! gets one line, the good files finish, also in a dry run. The only test in
//! this binary, so the peak RSS of this process's children is the run's own.
mod common;
use common::hostile;
use common::*;
use std::fs;

#[test]
fn runaway_raw_decoders_fail_alone_within_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("huge_box.cr3"), hostile::cr3_huge_box()).unwrap();
    fs::write(dir.path().join("zero_box.cr3"), hostile::cr3_zero_box()).unwrap();
    fs::write(dir.path().join("self_ifd.nef"), hostile::nef_self_ifd()).unwrap();
    for i in 0..4 {
        write_jpeg(&dir.path().join(format!("good_{i}.jpg")), 640, 480);
    }
    let budget: u64 = 512 << 20;
    for dry_run in [false, true] {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = bin();
        cmd.args(["thumbs", "--workers", "2", "--max-memory", "512M", "--json", "-o"]).arg(out.path()).arg(dir.path());
        if dry_run {
            cmd.arg("--dry-run");
        }
        let o = cmd.assert().code(1);
        let r = json(&o.get_output().stdout);
        for i in 0..4 {
            assert_eq!(entry(&r, &format!("good_{i}.jpg"))["status"], "ok", "dry run: {dry_run}");
        }
        for bad in ["huge_box.cr3", "zero_box.cr3", "self_ifd.nef"] {
            let e = entry(&r, bad);
            assert_eq!(e["status"], "failed", "{e}");
            assert!(e["error"].as_str().unwrap().contains("over the memory limit of"), "{e}");
        }
        let stderr = String::from_utf8_lossy(&o.get_output().stderr);
        assert_eq!(stderr.lines().filter(|l| l.contains("zero_box.cr3")).count(), 1, "{stderr}");
    }
    // The run and its two workers together, each at most its own peak.
    let tree = 3 * children_peak_rss();
    assert!(tree <= 2 * budget, "the run's processes may hold {} MiB, over twice the budget", tree >> 20);
}
