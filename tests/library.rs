//! The library embedded in another program (examples/embed.rs): it runs the
//! job and prints nothing, not even for a bad file; the program decides.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// The example's binary, which `cargo test` builds beside the tests.
fn embed() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    // target/<profile>/deps/library-<hash> → target/<profile>/examples/embed
    let profile = exe.parent().and_then(|deps| deps.parent()).expect("target folder");
    profile.join("examples").join("embed")
}

#[test]
fn the_library_prints_nothing_even_for_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    common::copy_dir(&common::photos(), &input);
    std::fs::write(input.join("broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J']).unwrap();
    std::fs::write(input.join("notes.txt"), "not an image").unwrap();
    let images = common::files_under(&common::photos()).len() as u64;
    let out = dir.path().join("out");
    let run = Command::new(embed()).arg(&input).arg(&out).output().expect("examples/embed (built by cargo test)");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.is_empty(), "the library printed: {stderr}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let expected = format!("{} files reported: {images} ok, 1 failed, {} outputs", images + 1, 2 * images);
    assert_eq!(stdout.trim(), expected);
    assert!(run.status.success());
    assert_eq!(common::files_under(&out).len() as u64, 2 * images);
}
