//! bytes → decode → orient → resize → encode, as a worker does for one file.
//! Run: `cargo fuzz run process` from the repo root (see fuzz/README.md).
#![no_main]

use std::time::Instant;

use imgbatch::job::{ColourMode, DecodeOptions, EncodeOptions, ImageOptions, RawMode};
use imgbatch::job::{Fit, OutFormat, Position, ShrinkOnLoad, Subsampling, Target};
use imgbatch::job::Goal;
use imgbatch::process::resize::Resampler;
use imgbatch::process::{ProcessOptions, STREAM_FROM, Task, process, process_bytes};
use libfuzzer_sys::fuzz_target;

/// imgbatch catches rawler's panics (its way of rejecting many malformed
/// RAWs) and reports the file as corrupt; libFuzzer's hook would abort on
/// them first. Panics anywhere else still abort.
fn let_rawler_panic() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.location().is_some_and(|l| l.file().contains("/rawler-")) {
                abort(info);
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    let_rawler_panic();
    // The first byte picks the output format and fit, so every encoder and
    // the crop/letterbox paths see fuzzed pixels too.
    let Some((&sel, bytes)) = data.split_first() else { return };
    let format = [OutFormat::Jpeg, OutFormat::Png, OutFormat::Webp, OutFormat::Avif][sel as usize % 4];
    let fit = [Fit::Inside, Fit::Cover, Fit::Contain, Fit::Fill][(sel as usize / 4) % 4];
    // A RAW extension sends TIFF-like bytes to rawler's camera decoders
    // (without one, only DNGs get there).
    let input: std::path::PathBuf = if sel & 0x20 != 0 { "fuzz.nef".into() } else { "fuzz".into() };
    // What the walker's probe would hand the worker.
    let Ok(source) = imgbatch::format::sniff(bytes, input.extension().and_then(|e| e.to_str())) else { return };
    let task = Task {
        seq: 0,
        up_to_date: false,
        cost: 0,
        input,
        source,
        format,
        outputs: vec![
            ("a".into(), Target { width: Some(48), height: Some(32), fit }),
            ("b".into(), Target { width: Some(7), height: None, fit: Fit::Inside }),
        ],
        stamp: Default::default(),
        redo: None,
    };
    let image = ImageOptions {
        // Small limits keep libFuzzer's 2 GB RSS cap for real bugs.
        decode: DecodeOptions {
            max_pixels: 4_000_000,
            allow_truncated: sel & 0x80 != 0,
            raw: if sel & 0x40 != 0 { RawMode::Full } else { RawMode::Preview },
        },
        upscale: sel & 0x40 != 0,
        auto_orient: true,
        background: [255, 255, 255],
        // Most inputs fit; the file path below also meets files one byte too large.
        max_file_size: 1 << 20,
        shrink_on_load: match (sel & 0x20 != 0, sel & 0x01 != 0) {
            (false, _) => ShrinkOnLoad::Off,
            (true, false) => ShrinkOnLoad::Safe,
            (true, true) => ShrinkOnLoad::Fast,
        },
        // Converting runs every embedded profile through moxcms's parser.
        colour: if sel & 0x08 != 0 { ColourMode::Keep } else { ColourMode::Srgb },
        // Half the inputs have their EXIF, XMP and IPTC read and rewritten.
        keep_metadata: sel & 0x04 != 0,
        strip_gps: sel & 0x02 != 0,
        // Cover crops placed by each strategy, so fuzzed pixels reach the analysis.
        position: [Position::Centre, Position::Attention, Position::Entropy][sel as usize % 3],
    };
    let opts = ProcessOptions {
        image,
        encode: EncodeOptions {
            progressive: sel & 0x10 != 0,
            subsampling: if sel & 0x10 != 0 { Subsampling::S444 } else { Subsampling::S420 },
            ..EncodeOptions::new(75)
        },
        // A fifth of inputs search their quality (score and size cap), so
        // fuzzed pixels reach the scorer and the search; some of them ask
        // for a score out of reach, which takes the 4:4:4 retry.
        goal: match (sel % 5, sel & 0x80 != 0) {
            (0, false) => Goal { score: Some(70.0), max_bytes: Some(20_000) },
            (0, true) => Goal { score: Some(99.0), max_bytes: Some(20_000) },
            _ => Goal::default(),
        },
        dry_run: false,
        follow_budget: false,
    };
    let mut resampler = Resampler::new();
    let mut admit = |_| Ok(());
    if bytes.len() % 4 != 0 {
        let _ = process_bytes(&task, bytes.to_vec(), &opts, &mut resampler, &mut admit, Instant::now());
        return;
    }
    // A quarter of the inputs go through a real file, as in a run: the size
    // check, the bounded read and (every other one) --dry-run's header-only
    // read from a prefix, which falls back to the whole file. The others are
    // padded with zeros to STREAM_FROM, so that libjpeg and the PNG row
    // decoder read them from the file as they decode.
    let path = std::env::temp_dir().join(format!(
        "imgbatch-fuzz-{}.{}",
        std::process::id(),
        if sel & 0x20 != 0 { "nef" } else { "img" }
    ));
    let mut file = bytes.to_vec();
    if bytes.len() % 8 == 4 && file.len() < STREAM_FROM as usize {
        file.resize(STREAM_FROM as usize, 0);
    }
    if std::fs::write(&path, &file).is_err() {
        return;
    }
    let opts = ProcessOptions {
        dry_run: bytes.len() % 8 == 0,
        image: ImageOptions {
            max_file_size: if sel & 0x08 != 0 { (file.len() as u64).saturating_sub(1) } else { STREAM_FROM },
            ..image
        },
        ..opts
    };
    let task = Task { input: path.clone(), ..task };
    let _ = process(&task, &opts, &mut resampler, &mut admit);
});
