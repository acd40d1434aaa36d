//! Criterion benchmarks for each stage of one image (decode, resize, encode)
//! and for the whole pipeline, on images generated here so they run anywhere:
//! `cargo bench --bench stages`.

use std::time::Duration;

use criterion::{Criterion, criterion_group};
use image::{DynamicImage, Rgb, RgbImage};
use imgbatch::geometry::Crop;
use imgbatch::process::resize::Resampler;
use imgbatch::process::{decode, encode};
use imgbatch::{DecodeOptions, EncodeOptions, RawMode};
use imgbatch::{Fit, FormatChoice, Goal, Job, Operation, OutFormat, Position, Target};

// The allocator the binary runs with, set as in src/main.rs, so that buffer
// reuse between images is measured as users get it.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A 12-megapixel photo-like picture: gradients plus grain, so the JPEG is
/// as expensive to decode as a camera file of that size.
fn photo(w: u32, h: u32) -> RgbImage {
    let mut s = 1u32;
    RgbImage::from_fn(w, h, |x, y| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let g = (s % 24) as u8;
        Rgb([(x * 200 / w) as u8 + g, (y * 200 / h) as u8 + g, 90 + g])
    })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(img.as_raw(), img.width() as u16, img.height() as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

/// A quiet 256-px thumbnail run of `input` into `out` with `workers`,
/// redoing outputs that are already there.
fn thumbs_job(input: &std::path::Path, out: &std::path::Path, workers: usize) -> Job {
    let mut job =
        Job::new(vec![input.to_path_buf()], out.to_path_buf(), Operation::Thumbs { sizes: vec![256], crop: false });
    job.resources.workers = workers;
    job.resources.queue = 2 * workers;
    job.output.force = true;
    job
}

fn stages(c: &mut Criterion) {
    let img = photo(4000, 3000);
    let bytes = jpeg(&img);
    let opts =
        DecodeOptions { max_pixels: imgbatch::job::DEFAULT_MAX_PIXELS, allow_truncated: false, raw: RawMode::Preview };
    let mut g = c.benchmark_group("stages_12mp");
    g.sample_size(10);
    // Shrink-on-load at each scale used against the full decode (4000 px
    // wide: 1/8 serves outputs up to 250 px, 1/4 up to 500 px, 1/2 up to
    // 1000 px; jpeg-turbo's, or without it jpeg-decoder's from 1/4 on).
    for shrink in [1, 2, 4, 8] {
        let name = if shrink == 1 { "decode_jpeg_full".to_string() } else { format!("decode_jpeg_shrink_1_{shrink}") };
        g.bench_function(name, |b| {
            b.iter(|| {
                decode::decode(&bytes, None, &opts, &mut |_| Ok(()), &|_, _| shrink, &|_, _| true).expect("decode")
            })
        });
    }
    let dynimg = DynamicImage::ImageRgb8(img);
    let mut r = Resampler::new();
    let full = Crop { x: 0.0, y: 0.0, w: 4000.0, h: 3000.0 };
    g.bench_function("resize_to_256", |b| b.iter(|| r.resize(&dynimg, full, (256, 192)).expect("resize")));
    g.bench_function("resize_to_1600", |b| b.iter(|| r.resize(&dynimg, full, (1600, 1200)).expect("resize")));
    let medium = r.resize(&dynimg, full, (1600, 1200)).expect("resize");
    let q = EncodeOptions::new(85);
    g.bench_function("encode_jpeg_1600", |b| {
        b.iter(|| encode::encode(&medium, OutFormat::Jpeg, q, None, &Default::default()))
    });
    let prog = EncodeOptions { progressive: true, ..q };
    g.bench_function("encode_jpeg_1600_progressive", |b| {
        b.iter(|| encode::encode(&medium, OutFormat::Jpeg, prog, None, &Default::default()))
    });
    let full_chroma = EncodeOptions { subsampling: imgbatch::Subsampling::S444, ..q };
    g.bench_function("encode_jpeg_1600_444", |b| {
        b.iter(|| encode::encode(&medium, OutFormat::Jpeg, full_chroma, None, &Default::default()))
    });
    g.bench_function("encode_webp_1600", |b| {
        b.iter(|| encode::encode(&medium, OutFormat::Webp, q, None, &Default::default()))
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = jpeg(&photo(2400, 1600));
    for i in 0..8 {
        std::fs::write(dir.path().join(format!("p{i}.jpg")), &bytes).expect("write");
    }
    let out = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("pipeline_8x3.8mp");
    g.sample_size(10);
    for workers in [1, 2] {
        let job = thumbs_job(dir.path(), out.path(), workers);
        g.bench_function(format!("thumbs_256_workers_{workers}"), |b| {
            b.iter(|| imgbatch::run(&job, &mut imgbatch::Silent).expect("run"))
        });
    }
    g.finish();
}

/// One photo's three square thumbnails (128, 256, 1024) cropped at the
/// centre, by attention and by entropy: the smart crops' whole cost, the
/// focal point found once per photo on a 128-pixel copy.
fn smartcrop(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("p.jpg"), jpeg(&photo(4000, 3000))).expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("smartcrop_12mp_3_sizes");
    g.sample_size(10);
    for (name, position) in
        [("centre", Position::Centre), ("attention", Position::Attention), ("entropy", Position::Entropy)]
    {
        let mut job = thumbs_job(dir.path(), out.path(), 1);
        job.operation = Operation::Thumbs { sizes: vec![128, 256, 1024], crop: true };
        job.image.position = position;
        g.bench_function(name, |b| b.iter(|| imgbatch::run(&job, &mut imgbatch::Silent).expect("run")));
    }
    g.finish();
}

/// One 2400x1600 photo resized to fit 1600 as JPEG: at a fixed quality,
/// searched for a SSIMULACRA2 score and kept under a size cap. The search's
/// whole cost per output against the fixed quality's.
fn quality_search(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("p.jpg"), jpeg(&photo(2400, 1600))).expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("quality_1600");
    g.sample_size(10);
    let goals = [
        ("fixed_q85", Goal::default()),
        ("target_75", Goal { score: Some(75.0), max_bytes: None }),
        ("max_size_150k", Goal { score: None, max_bytes: Some(150 << 10) }),
    ];
    for (name, goal) in goals {
        let mut job = thumbs_job(dir.path(), out.path(), 1);
        job.operation = Operation::Resize(Target { width: Some(1600), height: Some(1600), fit: Fit::Inside });
        job.output.format = FormatChoice::Fixed(OutFormat::Jpeg);
        job.output.goal = goal;
        g.bench_function(name, |b| b.iter(|| imgbatch::run(&job, &mut imgbatch::Silent).expect("run")));
    }
    g.finish();
}

/// Decoders of the other families, on the bundled fixtures: JPEG XL, a DNG
/// through its preview and through demosaicing, and HEIC with `heif`.
fn formats(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats");
    let read = |p: &str| std::fs::read(root.join(p)).expect("fixture");
    let preview =
        DecodeOptions { max_pixels: imgbatch::job::DEFAULT_MAX_PIXELS, allow_truncated: false, raw: RawMode::Preview };
    let full = DecodeOptions { raw: RawMode::Full, ..preview };
    let mut g = c.benchmark_group("formats");
    g.sample_size(20);
    let cases = vec![
        ("decode_jxl_320x213", read("jxl/rotated.jxl"), None, preview),
        ("decode_dng_preview_480x320", read("raw/IMG_1001.dng"), Some("dng"), preview),
        ("decode_dng_develop_600x400", read("raw/IMG_1001.dng"), Some("dng"), full),
        ("decode_heic_320x213", read("heif/irot.heic"), None, preview),
        ("decode_avif_128x96_alpha", read("heif/alpha.avif"), None, preview),
    ];
    for (name, bytes, ext, opts) in cases {
        // Outputs of 256 px: the DNG's 480x320 preview is enough.
        let enough = |s: (u32, u32), _| s.0.max(s.1) >= 256;
        g.bench_function(name, |b| {
            b.iter(|| decode::decode(&bytes, ext, &opts, &mut |_| Ok(()), &|_, _| 1, &enough).expect("decode"))
        });
    }
    g.finish();
}

/// What `--shard` adds per input: one call of `shard_of` on a typical path
/// (against tens of milliseconds to process the file).
fn shard(c: &mut Criterion) {
    let path = std::path::Path::new("2024/07/holiday in Crete/IMG_1234.HEIC");
    c.bench_function("shard_of_path", |b| b.iter(|| imgbatch::shard::shard_of(std::hint::black_box(path), 8)));
}

/// `--colour srgb` on a tagged input: building the transform (once per
/// file) and converting one megapixel (a 1000x1000 output).
fn colour(c: &mut Criterion) {
    use imgbatch::process::colour::{Colour, ColourMode};
    let adobe = moxcms::ColorProfile::new_adobe_rgb().encode().expect("profile");
    c.bench_function("colour_transform_setup", |b| {
        b.iter(|| Colour::for_input(ColourMode::Srgb, Some(adobe.clone()), false, false, false))
    });
    let colour = Colour::for_input(ColourMode::Srgb, Some(adobe.clone()), false, false, false);
    let img = DynamicImage::ImageRgb8(photo(1000, 1000));
    c.bench_function("colour_adobe_to_srgb_1mp", |b| {
        b.iter_batched(|| img.clone(), |mut i| colour.apply(&mut i).expect("convert"), criterion::BatchSize::LargeInput)
    });
}

/// `--colour srgb` on a 16-bit ProPhoto image at full size (16-bit inputs
/// are converted before the cut to 8 bits), per megapixel.
fn colour_16(c: &mut Criterion) {
    use imgbatch::process::colour::{Colour, ColourMode};
    let prophoto = moxcms::ColorProfile::new_pro_photo_rgb().encode().expect("profile");
    let colour = Colour::for_input(ColourMode::Srgb, Some(prophoto), false, false, true);
    let img = DynamicImage::ImageRgb16(DynamicImage::ImageRgb8(photo(1000, 1000)).to_rgb16());
    c.bench_function("colour_prophoto16_to_srgb_1mp", |b| {
        b.iter_batched(|| img.clone(), |mut i| colour.apply(&mut i).expect("convert"), criterion::BatchSize::LargeInput)
    });
}

/// `--keep-metadata`: reading a camera JPEG's EXIF, XMP and IPTC (once per
/// file) and rewriting them for one output; `--format avif` on a 400x267
/// output, 4:2:0 (the build's encoder: rav1e, or libaom with `avif-libaom`).
fn metadata_and_avif(c: &mut Criterion) {
    use imgbatch::process::metadata::{Metadata, Rewrite};
    let photo_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/photos/2024/city/rotated.jpg");
    let bytes = std::fs::read(photo_path).expect("fixture");
    c.bench_function("metadata_read_jpeg", |b| b.iter(|| Metadata::read(std::hint::black_box(&bytes))));
    let meta = Metadata::read(&bytes);
    let r = Rewrite { size: (256, 171), strip_gps: true, srgb: true, format: imgbatch::OutFormat::Jpeg };
    c.bench_function("metadata_rewrite_per_output", |b| b.iter(|| meta.blocks(std::hint::black_box(r))));
    let img = DynamicImage::ImageRgb8(photo(400, 267));
    let mut g = c.benchmark_group("avif");
    g.sample_size(10);
    g.bench_function("avif_encode_400x267_q50_effort4", |b| {
        b.iter(|| {
            encode::encode(&img, OutFormat::Avif, EncodeOptions::new(50), None, &Default::default()).expect("avif")
        })
    });
    g.finish();
}

/// The ceilings of the parts that are not workers (issue 13), on 3,000
/// small JPEGs in 30 folders: the walker alone (listing, sniffing each
/// file's head, planning outputs, sending tasks), and the whole pipeline
/// with 64 workers whose step does no image work but hand back one 256-px
/// thumbnail per input, so the files/s is what the walker, the channels
/// and the writer (atomic writes, report records) can carry. Against the
/// files/s one worker makes real thumbnails of small files
/// (`thumbs_300_small_1_worker`), it says how many workers they can feed.
fn overhead(c: &mut Criterion) {
    use std::sync::atomic::AtomicBool;

    use imgbatch::process::ProcessOptions;
    use imgbatch::task::{Processed, Rendered, Task};
    use imgbatch::walk::{WalkCounts, Walker};
    const FILES: usize = 3000;
    let small = jpeg(&photo(800, 600));
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..FILES {
        let sub = dir.path().join(format!("d{:02}", i % 30));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join(format!("p{i:04}.jpg")), &small).expect("write");
    }
    let out = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("overhead_3000_files");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(FILES as u64));
    let job = thumbs_job(dir.path(), out.path(), 64);
    g.bench_function("walk_alone", |b| {
        b.iter(|| {
            let (tasks, tasks_rx) = crossbeam_channel::unbounded();
            let (results, _results_rx) = crossbeam_channel::unbounded();
            let (counts, cancel) = (WalkCounts::default(), AtomicBool::new(false));
            Walker::new(&job, &imgbatch::ledger::Ledger::default(), tasks, results, &counts, &cancel).run();
            assert_eq!(tasks_rx.len(), FILES);
        })
    });
    fn no_image_work(
        task: &Task,
        _: &ProcessOptions,
        _: &mut Resampler,
        _: &mut imgbatch::process::Admit<'_>,
    ) -> Result<Processed, imgbatch::FileError> {
        static THUMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let bytes = THUMB.get_or_init(|| jpeg(&photo(256, 192)));
        let outputs = task
            .outputs
            .iter()
            .map(|(path, _)| Rendered {
                path: path.clone(),
                width: 256,
                height: 192,
                crop: None,
                bytes: bytes.clone(),
                chosen: None,
            })
            .collect();
        Ok(Processed { outputs, input_pixels: 800 * 600, warning: None, stages: Default::default() })
    }
    // `iters` runs of the whole pipeline, adding up what `clock` says each
    // took. Each run writes into a new folder, as a first run does:
    // replacing the last run's outputs would time ext4's inode deletion too.
    fn pipeline_runs(job: &Job, iters: u64, clock: fn() -> Duration, kept: &mut Vec<tempfile::TempDir>) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let out = tempfile::tempdir().expect("tempdir");
            let mut job = job.clone();
            job.output.dir = out.path().to_path_buf();
            let start = clock();
            let report =
                imgbatch::pipeline::run_with_step(&job, &AtomicBool::new(false), no_image_work, &mut imgbatch::Silent);
            total += clock() - start;
            assert_eq!(report.expect("run").summary.ok, FILES as u64);
            kept.push(out);
        }
        total
    }
    let mut kept = Vec::new();
    g.bench_function("walk_and_write_64_workers", |b| {
        b.iter_custom(|iters| pipeline_runs(&job, iters, wall, &mut kept))
    });
    // A re-run over a folder whose 3,000 outputs are all up to date: the
    // walk, the record's verdict on each output (loaded once), and the
    // report; what `imgbatch` costs when there is nothing to do.
    let done = tempfile::tempdir().expect("tempdir");
    let mut rerun = job.clone();
    rerun.output.dir = done.path().to_path_buf();
    rerun.output.force = false;
    let first =
        imgbatch::pipeline::run_with_step(&rerun, &AtomicBool::new(false), no_image_work, &mut imgbatch::Silent);
    assert_eq!(first.expect("run").summary.ok, FILES as u64);
    g.bench_function("rerun_all_up_to_date", |b| {
        b.iter(|| {
            let r = imgbatch::pipeline::run_with_step(
                &rerun,
                &AtomicBool::new(false),
                no_image_work,
                &mut imgbatch::Silent,
            );
            assert_eq!(r.expect("run").summary.skipped, FILES as u64);
        })
    });
    // What one write thread does for each input (temporary file, write,
    // rename), for all 3,000 thumbnails on the bench's thread alone.
    let thumb = jpeg(&photo(256, 192));
    g.bench_function("write_alone_1_thread", |b| {
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                let out = tempfile::tempdir().expect("tempdir");
                let outputs: Vec<Rendered> = (0..FILES)
                    .map(|i| Rendered {
                        path: out.path().join(format!("d{:02}/p{i:04}_256.jpg", i % 30)),
                        width: 256,
                        height: 192,
                        crop: None,
                        bytes: thumb.clone(),
                        chosen: None,
                    })
                    .collect();
                let start = std::time::Instant::now();
                for o in outputs {
                    imgbatch::write_pool::write_outputs(&[o]).expect("write");
                }
                total += start.elapsed();
                kept.push(out);
            }
            total
        })
    });
    // The same runs timed by the CPU the calling thread spends, which is the
    // collector's (src/pipeline.rs: it runs `Writer::run`): on a machine with
    // a core for it, its files/s at 100 % CPU is the writer's ceiling. The
    // write threads' share scales with their number (one per 16 workers).
    g.bench_function("collector_cpu_64_workers", |b| {
        b.iter_custom(|iters| pipeline_runs(&job, iters, thread_cpu, &mut kept))
    });
    drop(kept);
    g.finish();
    let few = tempfile::tempdir().expect("tempdir");
    for i in 0..300 {
        std::fs::write(few.path().join(format!("p{i:03}.jpg")), &small).expect("write");
    }
    let job = thumbs_job(few.path(), out.path(), 1);
    let mut g = c.benchmark_group("overhead_small_files");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(300));
    g.bench_function("thumbs_300_small_1_worker", |b| {
        b.iter(|| imgbatch::run(&job, &mut imgbatch::Silent).expect("run"))
    });
    g.finish();
}

/// Wall time since the first call.
fn wall() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given; the clock id is valid on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The JPEG decoders side by side, one thread each, on the same 12 MP
/// picture stored baseline and progressive: jpeg-decoder, zune-jpeg and
/// libjpeg-turbo-rs (pure Rust, the last with SIMD) against libjpeg-turbo
/// (C, built by cargo without SIMD), at full size and at the scales
/// shrink-on-load uses. With IMGBATCH_BENCH_JPEGS=DIR also every JPEG under
/// DIR (e.g. the T1 corpus) at full size, as T2 decodes them, and at 1/8, as
/// the thumbnails job does.
fn jpeg_decoders(c: &mut Criterion) {
    let img = photo(4000, 3000);
    let mut progressive = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut progressive, 90);
    enc.set_progressive(true);
    enc.encode(img.as_raw(), 4000, 3000, jpeg_encoder::ColorType::Rgb).expect("encode");
    let mut files = vec![("baseline".to_string(), jpeg(&img)), ("progressive".to_string(), progressive)];
    let mut g = c.benchmark_group("jpeg_decoders_12mp");
    g.sample_size(10);
    for (kind, bytes) in &files {
        g.bench_function(format!("{kind}/jpeg_decoder_full"), |b| b.iter(|| jpeg_decoder_at(bytes, 1)));
        g.bench_function(format!("{kind}/jpeg_decoder_1_8"), |b| b.iter(|| jpeg_decoder_at(bytes, 8)));
        g.bench_function(format!("{kind}/zune_full"), |b| {
            b.iter(|| zune_jpeg::JpegDecoder::new(zune_core::bytestream::ZCursor::new(bytes)).decode().expect("zune"))
        });
        g.bench_function(format!("{kind}/ljt_full"), |b| b.iter(|| ljt_at(bytes, 1)));
        g.bench_function(format!("{kind}/ljt_1_8"), |b| b.iter(|| ljt_at(bytes, 8)));
        #[cfg(feature = "jpeg-turbo")]
        for denom in [1, 2, 4, 8] {
            g.bench_function(format!("{kind}/turbo_1_{denom}"), |b| b.iter(|| turbo_at(bytes, denom)));
        }
    }
    g.finish();
    let Some(dir) = std::env::var_os("IMGBATCH_BENCH_JPEGS") else { return };
    files = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x.eq_ignore_ascii_case("jpg")))
        .map(|e| (e.path().display().to_string(), std::fs::read(e.path()).expect("read")))
        .collect();
    let mut g = c.benchmark_group(format!("jpeg_decoders_{}_files", files.len()));
    g.sample_size(10);
    g.bench_function("zune_full", |b| {
        b.iter(|| {
            files.iter().for_each(|(_, f)| {
                drop(zune_jpeg::JpegDecoder::new(zune_core::bytestream::ZCursor::new(f)).decode().expect("zune"))
            })
        })
    });
    g.bench_function("ljt_full", |b| b.iter(|| files.iter().for_each(|(_, f)| drop(ljt_at(f, 1)))));
    g.bench_function("jpeg_decoder_1_8", |b| b.iter(|| files.iter().for_each(|(_, f)| drop(jpeg_decoder_at(f, 8)))));
    g.bench_function("ljt_1_8", |b| b.iter(|| files.iter().for_each(|(_, f)| drop(ljt_at(f, 8)))));
    #[cfg(feature = "jpeg-turbo")]
    g.bench_function("turbo_1_8", |b| b.iter(|| files.iter().for_each(|(_, f)| drop(turbo_at(f, 8)))));
}

fn jpeg_decoder_at(bytes: &[u8], denom: u16) -> Vec<u8> {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    d.read_info().expect("header");
    let info = d.info().expect("info");
    d.scale(info.width.div_ceil(denom), info.height.div_ceil(denom)).expect("scale");
    d.decode().expect("decode")
}

fn ljt_at(bytes: &[u8], denom: u32) -> Vec<u8> {
    let mut d = libjpeg_turbo_rs::Decoder::new(bytes).expect("header");
    d.set_scale(libjpeg_turbo_rs::ScalingFactor::try_new(1, denom).expect("scale"));
    d.set_output_format(libjpeg_turbo_rs::PixelFormat::Rgb);
    d.decode_image().expect("decode").data
}

#[cfg(feature = "jpeg-turbo")]
fn turbo_at(bytes: &[u8], denom: u32) -> Vec<u8> {
    use imgbatch::process::decode::turbo;
    let (mut d, _) = turbo::Decoder::new(turbo::Source::Bytes(bytes), u64::MAX).expect("header");
    let out = d.start(denom, turbo::space::RGB).expect("start");
    let mut px = vec![0; out.size.0 as usize * out.size.1 as usize * out.components];
    d.read(out, &mut px).expect("decode");
    px
}

criterion_group!(
    benches,
    stages,
    jpeg_decoders,
    pipeline,
    smartcrop,
    quality_search,
    formats,
    shard,
    colour,
    colour_16,
    metadata_and_avif,
    overhead
);

fn main() {
    imgbatch::allocator::init();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
