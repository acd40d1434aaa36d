//! A worker process's side of the protocol, in-process: a Hello, a task
//! whose file is the fuzzed bytes, and answers to its memory requests, as
//! the run sends them (`imgbatch::isolate::child::serve_on`); every frame it
//! writes back is read as the run reads it. An input whose first byte is odd
//! is instead a raw byte stream from the run, and from a worker, that both
//! readers must refuse cleanly. Run: `cargo fuzz run worker`.
#![no_main]

use imgbatch::isolate::child::serve_on;
use imgbatch::isolate::wire::{self, FromWorker, ToWorker};
use imgbatch::job::{ColourMode, DecodeOptions, EncodeOptions, ImageOptions, RawMode};
use imgbatch::job::{Fit, OutFormat, Position, ShrinkOnLoad, Subsampling, Target};
use imgbatch::job::Goal;
use imgbatch::process::{ProcessOptions, Task};
use libfuzzer_sys::fuzz_target;

/// Reads frames as the run does until the stream ends or is refused.
fn read_all_from_worker(mut bytes: &[u8]) {
    while let Ok(Some(_)) = wire::recv::<FromWorker>(&mut bytes) {}
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else { return };
    if sel & 1 == 1 {
        let mut sink = Vec::new();
        let _ = serve_on(&mut &bytes[..], &mut sink, imgbatch::process::process);
        read_all_from_worker(bytes);
        return;
    }
    let path = std::env::temp_dir().join(format!("imgbatch-fuzz-worker-{}", std::process::id()));
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    let format = [OutFormat::Jpeg, OutFormat::Png, OutFormat::Webp, OutFormat::Avif][(sel as usize >> 1) % 4];
    // What the walker's probe would hand the worker.
    let Ok(source) = imgbatch::format::sniff(bytes, None) else { return };
    let task = Task {
        input: path,
        seq: 0,
        up_to_date: false,
        cost: 0,
        source,
        format,
        outputs: vec![("a".into(), Target { width: Some(40), height: Some(40), fit: Fit::Cover })],
        stamp: Default::default(),
        redo: None,
    };
    let image = ImageOptions {
        // Small limits keep libFuzzer's 2 GB RSS cap for real bugs.
        decode: DecodeOptions { max_pixels: 4_000_000, allow_truncated: sel & 0x80 != 0, raw: RawMode::Preview },
        upscale: false,
        auto_orient: true,
        background: [255, 255, 255],
        max_file_size: 1 << 20,
        shrink_on_load: if sel & 0x20 != 0 { ShrinkOnLoad::Safe } else { ShrinkOnLoad::Off },
        colour: ColourMode::Srgb,
        keep_metadata: sel & 0x10 != 0,
        strip_gps: sel & 0x08 != 0,
        position: if sel & 0x04 != 0 { Position::Attention } else { Position::Centre },
    };
    let opts = ProcessOptions {
        image,
        encode: EncodeOptions { subsampling: Subsampling::S420, ..EncodeOptions::new(75) },
        // Searched quality on some: its report fields cross the frames too.
        goal: if sel & 0x02 != 0 { Goal { score: Some(80.0), max_bytes: None } } else { Goal::default() },
        dry_run: sel & 0x40 != 0,
        follow_budget: false,
    };
    let mut from_run = Vec::new();
    let _ = wire::send(&mut from_run, &ToWorker::Hello(opts));
    let _ = wire::send(&mut from_run, &ToWorker::Task(task));
    // Answers to its requests for memory; the last one refuses, as a run
    // whose budget the file can never fit does.
    for _ in 0..12 {
        let _ = wire::send(&mut from_run, &ToWorker::Admitted(Ok(())));
    }
    let _ = wire::send(&mut from_run, &ToWorker::Admitted(Err("over --max-memory".into())));
    let mut to_run = Vec::new();
    let _ = serve_on(&mut from_run.as_slice(), &mut to_run, imgbatch::process::process);
    read_all_from_worker(&to_run);
});
