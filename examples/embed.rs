//! imgbatch as a library: thumbnails of a folder from a Rust program, which
//! decides what to show. The library prints nothing; this program counts the
//! files as they finish and prints one line at the end.
//!
//! `cargo run --release --example embed -- fixtures/photos /tmp/thumbs`

use std::process::ExitCode;

use imgbatch::report::FileRecord;
use imgbatch::{Job, Observer, Operation};

/// Counts the files as the run reports them.
#[derive(Default)]
struct Count {
    files: u64,
}

impl Observer for Count {
    fn file(&mut self, _record: &FileRecord, _bytes: u64, _cost: u64) {
        self.files += 1;
    }
}

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [input, output] = &args[..] else {
        eprintln!("usage: embed INPUT OUTPUT");
        return ExitCode::from(2);
    };
    let sizes = vec![64, 128];
    let job = Job::new(vec![input.into()], output.into(), Operation::Thumbs { sizes, crop: false });
    let mut count = Count::default();
    match imgbatch::run(&job, &mut count) {
        Ok(report) => {
            let s = &report.summary;
            println!("{} files reported: {} ok, {} failed, {} outputs", count.files, s.ok, s.failed, s.output_files);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
