//! A build without an AVIF encoder (neither `avif-rav1e` nor `avif-libaom`,
//! e.g. `--no-default-features`) refuses `--format avif` before any work,
//! saying which features would add one.
#![cfg(not(any(feature = "avif-rav1e", feature = "avif-libaom")))]

mod common;

use common::{bin, photos};

#[test]
fn format_avif_is_refused_before_the_run() {
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["resize", "--width", "64", "--format", "avif", "-o"])
        .arg(out.path())
        .arg(photos())
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(err.contains("no AVIF encoder") && err.contains("avif-rav1e"), "{err}");
    assert!(common::files_under(out.path()).is_empty(), "nothing may be written");
}
