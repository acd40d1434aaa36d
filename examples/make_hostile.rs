//! Writes the hostile files of `tests/hostile.rs` into a folder, to measure
//! a run over them by hand (peak RSS with `/usr/bin/time -v`):
//!
//! ```text
//! cargo run --release --example make_hostile -- /tmp/hostile
//! /usr/bin/time -v target/release/imgbatch thumbs /tmp/hostile -o /tmp/out \
//!     --workers 1 --timeout 1 --max-memory 1500M
//! ```
#[path = "../tests/common/mod.rs"]
mod common;

use common::hostile;
use std::fs;
use std::path::PathBuf;

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: make_hostile FOLDER");
        std::process::exit(2);
    };
    fs::create_dir_all(&dir).expect("create the folder");
    let write = |name: &str, bytes: Vec<u8>| fs::write(dir.join(name), bytes).expect("write");
    write("icc_bomb.png", hostile::png(64, 64, Some(1 << 30)));
    // 256 MP each (768 MB of pixels) in about 4 MB of file: slower to decode
    // than a one-second --timeout.
    for i in 1..=3 {
        write(&format!("pixel_bomb_{i}.png"), hostile::png(16000, 16000, None));
    }
    hostile::sparse_jpeg(&dir.join("huge.jpg"), 6 << 30);
    let jpeg = common::jpeg_bytes(&common::upright(800, 600), 90, None, None);
    write("cut_half.jpg", hostile::cut_keeping_eoi(&jpeg, 0.5));
    write("scans.jpg", hostile::jpeg_with_scans(1005));
    write("outside.gif", hostile::gif_frame_outside_cut());
    for i in 0..20 {
        write(&format!("good_{i:02}.jpg"), jpeg.clone());
    }
}
