//! The `imgbatch` binary: command line → [`Job`] → run → exit code.

mod cli;
mod placement;
mod terminal;
mod usage;

use imgbatch::allocator;

// See src/allocator.rs; Flagged tells a worker process's failed allocation
// from a crash.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: allocator::Flagged<mimalloc::MiMalloc> = allocator::Flagged(mimalloc::MiMalloc);
#[cfg(not(feature = "mimalloc"))]
#[global_allocator]
static GLOBAL: allocator::Flagged<std::alloc::System> = allocator::Flagged(std::alloc::System);

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use clap::Parser;
use imgbatch::ExitStatus;

static CANCEL: AtomicBool = AtomicBool::new(false);
static SIGNALS: AtomicUsize = AtomicUsize::new(0);

fn exit(status: ExitStatus) -> ExitCode {
    ExitCode::from(status as u8)
}

fn main() -> ExitCode {
    allocator::init();
    // A worker process of a run (see src/isolate): not a command line a
    // person types, so it is checked before clap.
    if std::env::args_os().nth(1).is_some_and(|a| a == imgbatch::isolate::wire::WORKER_ARG) {
        return ExitCode::from(imgbatch::isolate::child::serve() as u8);
    }
    silence_worker_panics();
    let cli = cli::Cli::parse();
    let command = match cli.command {
        cli::Command::Bench(args) => return bench(args),
        cli::Command::Report(cli::ReportCommand::Merge { reports, output }) => return merge(&reports, output),
        c => c,
    };
    let (job, targets) = match command.into_job() {
        Ok(j) => j,
        Err(e) => {
            eprintln!("error: {e}");
            return exit(ExitStatus::Usage);
        }
    };
    if let Some(path) = &targets.report
        && let Err(e) = writable("--report", path)
    {
        eprintln!("error: {e}");
        return exit(ExitStatus::Usage);
    }
    if let Some(ignored) = goal_without_effect(&job) {
        eprintln!("warning: {ignored}");
    }
    // First Ctrl-C (or SIGTERM) asks the pipeline to stop and report what it
    // did; a second one exits at once. Outputs are renamed into place whole,
    // so neither leaves a partial file under its final name.
    let handler = ctrlc::set_handler(|| {
        if SIGNALS.fetch_add(1, Ordering::SeqCst) > 0 {
            imgbatch::output::remove_partial();
            terminal::restore_terminal();
            std::process::exit(ExitStatus::Interrupted as i32);
        }
        CANCEL.store(true, Ordering::SeqCst);
    });
    if let Err(e) = handler {
        eprintln!("warning: cannot handle Ctrl-C: {e}");
    }
    // Past a file size limit (ulimit -f) a write must fail with EFBIG and be
    // reported, not kill the process with SIGXFSZ.
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let mut terminal = terminal::Terminal::new(targets.verbosity, job.select.shard);
    let report = imgbatch::run_with_cancel(&job, &CANCEL, &mut terminal);
    terminal.progress.finish();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit(ExitStatus::Usage);
        }
    };
    if targets.verbosity != cli::Verbosity::Quiet {
        eprintln!("{}", report.summary_line(job.operation.name(), job.dry_run(), &job.output.dir));
        if let Some(none) = report.no_images_line(&job.inputs) {
            eprintln!("warning: {none}");
        }
    }
    // The run's own status wins (1 some failed, 130 interrupted); a report
    // that cannot be written turns only a clean run into 2. --json still prints.
    let mut status = report.exit_status();
    if let Some(path) = &targets.report
        && let Err(e) = report.write_json(path)
    {
        eprintln!("error: cannot write report {}: {e}", path.display());
        if status == ExitStatus::Success {
            status = ExitStatus::Usage;
        }
    }
    if targets.json {
        println!("{}", report.to_json());
    }
    exit(status)
}

/// `--target`/`--max-size` with a lossless `--format` would otherwise be
/// ignored without a word.
fn goal_without_effect(job: &imgbatch::Job) -> Option<String> {
    let imgbatch::FormatChoice::Fixed(format) = job.output.format else { return None };
    let row = format.row();
    (job.output.goal != imgbatch::Goal::default() && row.search.is_none()).then(|| {
        format!(
            "--target and --max-size do not apply to {} outputs (lossless): they are written as without them",
            row.name
        )
    })
}

/// A result file that cannot be written would be lost after the whole run
/// (or bench sweep): refuse it before any work, rather than create its
/// folder behind the user's back.
fn writable(flag: &'static str, path: &std::path::Path) -> Result<(), usage::UsageError> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !folder.is_dir() {
        return Err(usage::UsageError::NoFolder { flag, path: path.into(), folder: folder.into() });
    }
    Ok(())
}

/// A panic on a worker thread becomes its file's error in the report, so
/// the default hook's message on stderr would only tear the output. Other
/// threads' panics are bugs and keep the default message.
fn silence_worker_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let on_worker = std::thread::current().name().is_some_and(|n| n.starts_with(imgbatch::pipeline::WORKER_PREFIX));
        if !on_worker {
            default(info);
        }
    }));
}

/// `imgbatch report merge`: one report from many, on stdout or into `output`;
/// the exit status is the one a single run with every file would have had.
fn merge(reports: &[std::path::PathBuf], output: Option<std::path::PathBuf>) -> ExitCode {
    let merged = match imgbatch::merge::merge_files(reports) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return exit(ExitStatus::Usage);
        }
    };
    match &output {
        Some(path) => {
            if let Err(e) = merged.write_json(path) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return exit(ExitStatus::Usage);
            }
        }
        None => println!("{}", merged.to_json()),
    }
    let s = &merged.summary;
    eprintln!(
        "merged {} reports: {} ok, {} skipped, {} failed · {} files written · {:.2} s wall",
        reports.len(),
        s.ok,
        s.skipped,
        s.failed,
        s.output_files,
        s.elapsed_s
    );
    exit(merged.exit_status())
}

/// `imgbatch bench`: the sweep, the table on stdout, the exports.
fn bench(args: cli::BenchArgs) -> ExitCode {
    let (job, plan, exports) = match args.into_plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return exit(ExitStatus::Usage);
        }
    };
    let paths = [
        ("--export-json", &exports.json),
        ("--export-csv", &exports.csv),
        ("--export-markdown", &exports.markdown),
        ("--plot", &exports.plot),
    ];
    for (flag, path) in paths {
        if let Some(path) = path
            && let Err(e) = writable(flag, path)
        {
            eprintln!("error: {e}");
            return exit(ExitStatus::Usage);
        }
    }
    let bar = terminal::Progress::new(true, None);
    let report = imgbatch::bench::run(&job, &plan, |label, done, total| bar.step(label, done, total));
    bar.finish();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit(ExitStatus::Usage);
        }
    };
    print!("{}", imgbatch::bench::export::text(&report, exports.wide));
    use imgbatch::bench::export;
    let files = [
        ("JSON", &exports.json, export::json(&report)),
        ("CSV", &exports.csv, export::csv(&report)),
        ("Markdown", &exports.markdown, export::markdown(&report)),
    ];
    let mut status = ExitStatus::Success;
    for (what, path, content) in files {
        if let Some(path) = path {
            match export::write(path, &content) {
                Ok(()) => eprintln!("{what} written to {}", path.display()),
                Err(e) => {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    status = ExitStatus::Usage;
                }
            }
        }
    }
    if let Some(path) = &exports.plot {
        match imgbatch::bench::plot::write(path, &report) {
            Ok(()) => eprintln!("SVG chart written to {} (opens in any browser)", path.display()),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                status = ExitStatus::Usage;
            }
        }
    }
    if status == ExitStatus::Success && report.rows.iter().any(|r| r.failed > 0) {
        status = ExitStatus::SomeFailed;
    }
    exit(status)
}
