//! The binary's terminal: the progress bar and every line a run prints,
//! fed by the library's events ([`Observer`]) on the one collector thread,
//! so lines never tear and the bar is never drawn over.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use imgbatch::report::{FileRecord, Status};
use imgbatch::{Observer, Totals};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::Verbosity;

/// What a run shows: the bar (when stderr is a terminal and not `--quiet`),
/// each file's error or warning, the files left alone (`--verbose`), a dry
/// run's plan (on stdout).
pub struct Terminal {
    /// The bar and the lines above it.
    pub progress: Progress,
    verbosity: Verbosity,
}

impl Terminal {
    /// The terminal of a run with this verbosity, split as `shard` says.
    pub fn new(verbosity: Verbosity, shard: Option<imgbatch::shard::Shard>) -> Self {
        Terminal { progress: Progress::new(verbosity != Verbosity::Quiet, shard), verbosity }
    }
}

impl Observer for Terminal {
    fn wants_totals(&self) -> bool {
        self.progress.shown()
    }

    fn totals(&mut self, t: Totals) {
        self.progress.set_total(t.files, t.bytes, t.cost, t.complete);
    }

    fn in_flight(&mut self, cost: u64) {
        self.progress.set_in_flight(cost);
    }

    fn file(&mut self, record: &FileRecord, bytes: u64, cost: u64) {
        if let Some(e) = &record.error {
            self.progress.line(&format!("{}: {e}", record.input));
        } else if let Some(w) = &record.warning {
            self.progress.line(&format!("{}: warning: {w}", record.input));
        } else if let (Some(with), Verbosity::Verbose) = (&record.paired_with, self.verbosity) {
            self.progress.line(&format!("{}: paired with {with}, which makes the outputs (--pairs)", record.input));
        }
        self.progress.inc(record.status == Status::Failed, bytes, cost);
    }

    fn not_image(&mut self, input: &Path, bytes: u64, cost: u64) {
        if self.verbosity == Verbosity::Verbose {
            self.progress.line(&format!("{}: not an image, left alone", input.display()));
        }
        self.progress.inc(false, bytes, cost);
    }

    fn planned(&mut self, output: &Path, width: u32, height: u32) {
        self.progress.out_line(&format!("would write {} ({width}x{height})", output.display()));
    }

    fn deleted(&mut self, output: &Path, dry_run: bool) {
        if dry_run {
            self.progress.out_line(&format!("would delete {} (input gone)", output.display()));
        } else if self.verbosity == Verbosity::Verbose {
            self.progress.line(&format!("deleted {} (input gone)", output.display()));
        }
    }

    fn stopping(&mut self, why: &str) {
        self.progress.line(&format!("error: {why}"));
    }

    fn warning(&mut self, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.progress.line(&format!("warning: {text}"));
        }
    }
}

/// Progress display fed by the run. The bar fills with the estimated
/// cost of the inputs done (see imgbatch's `cost.rs`: that tracks time far better
/// than a count of files or bytes), against the total a counting pass finds
/// ahead of the walker; the files and bytes done are its message.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: std::time::Instant,
    files_done: u64,
    files_total: u64,
    bytes_done: u64,
    bytes_total: u64,
    failed: u64,
    counted: bool,
    /// Estimated cost of the inputs finished.
    cost_done: u64,
    /// Estimated cost of the inputs on a worker now.
    in_flight: u64,
    /// `shard 2/4 · ` when the job is split, so a log of several shards says which is which.
    shard: String,
}

/// The terminal settings of stderr before the bar turned control-character
/// echo off, to put back when the bar goes (or the process exits on a second
/// Ctrl-C).
static SAVED_TERMIOS: std::sync::Mutex<Option<libc::termios>> = std::sync::Mutex::new(None);

/// Stops the terminal from echoing `^C` while the bar is drawn. indicatif
/// leaves the cursor at the right edge of its last line, so a `^C` echo wraps
/// onto a new line it does not know of, and clearing the bar after Ctrl-C
/// then missed its first line, which stayed on screen above the summary.
fn quiet_control_echo() {
    // SAFETY: tcgetattr/tcsetattr only read and write the struct given; fd 2
    // is a terminal (the bar is only drawn when it is).
    unsafe {
        let mut t = std::mem::zeroed::<libc::termios>();
        if libc::tcgetattr(2, &mut t) != 0 {
            return;
        }
        *SAVED_TERMIOS.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(t);
        t.c_lflag &= !libc::ECHOCTL;
        libc::tcsetattr(2, libc::TCSANOW, &t);
    }
}

/// Puts back the terminal settings changed for the bar, if any.
pub fn restore_terminal() {
    if let Some(t) = SAVED_TERMIOS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
        // SAFETY: restores settings read from the same fd by tcgetattr.
        unsafe {
            libc::tcsetattr(2, libc::TCSANOW, &t);
        }
    }
}

/// While the count is still running: no ETA to give yet.
const COUNTING: &str = "{spinner} {elapsed_precise} [{bar:30}] {msg} · counting…";
/// Once the total is known.
const RUNNING: &str = "{spinner} {elapsed_precise} [{bar:30}] {msg} · ETA {eta_fine}";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
        // The whole run's average rate (indicatif's own estimate follows the
        // last seconds, which swing with each file's size), and tenths of a
        // second under a minute: a short run's ETA is not all "1s".
        .with_key("eta_fine", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let (done, total) = (s.pos() as f64, s.len().unwrap_or(0) as f64);
            let left = if done > 0.0 { s.elapsed().as_secs_f64() * (total - done).max(0.0) / done } else { 0.0 };
            let eta = Duration::from_secs_f64(left);
            let _ = if eta.as_secs() < 60 {
                write!(w, "{:.1}s", eta.as_secs_f64())
            } else {
                write!(w, "{}", indicatif::HumanDuration(eta))
            };
        })
}

impl Progress {
    /// A bar on stderr when `enabled` and stderr is a terminal; otherwise silent.
    pub fn new(enabled: bool, shard: Option<imgbatch::shard::Shard>) -> Self {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(style(COUNTING));
            bar.enable_steady_tick(Duration::from_millis(200));
            quiet_control_echo();
            bar
        });
        Progress {
            bar,
            started: std::time::Instant::now(),
            files_done: 0,
            files_total: 0,
            bytes_done: 0,
            bytes_total: 0,
            failed: 0,
            counted: false,
            cost_done: 0,
            in_flight: 0,
            shard: shard.map_or_else(String::new, |k| format!("shard {k} · ")),
        }
    }

    /// Whether a bar is drawn (the writer skips what only the bar needs).
    pub fn shown(&self) -> bool {
        self.bar.is_some()
    }

    /// The size of the job as counted so far (files, bytes, cost); `complete`
    /// once the count is done.
    pub fn set_total(&mut self, files: u64, bytes: u64, cost: u64, complete: bool) {
        let Some(b) = &self.bar else { return };
        (self.files_total, self.bytes_total) = (files, bytes);
        b.set_length(cost.max(b.position()));
        if complete && !self.counted {
            self.counted = true;
            b.set_style(style(RUNNING));
        }
        self.show_files();
    }

    fn show_files(&self) {
        if let Some(b) = &self.bar {
            let total = self.files_total.max(self.files_done);
            let more = if self.counted { "" } else { "+" };
            let failed = if self.failed > 0 { format!(", {} failed", self.failed) } else { String::new() };
            let mib = |n: u64| n as f64 / (1 << 20) as f64;
            let rate = mib(self.bytes_done) / self.started.elapsed().as_secs_f64().max(1e-3);
            let (done, all) = (mib(self.bytes_done), mib(self.bytes_total.max(self.bytes_done)));
            b.set_message(format!(
                "{}{}/{total}{more} files{failed} · {done:.1}/{all:.1}{more} MiB · {rate:.1} MiB/s",
                self.shard, self.files_done
            ));
        }
    }

    /// One more input finished, `bytes` long, of estimated `cost`.
    pub fn inc(&mut self, failed: bool, bytes: u64, cost: u64) {
        self.failed += failed as u64;
        self.files_done += 1;
        self.bytes_done += bytes;
        self.cost_done += cost;
        self.in_flight = self.in_flight.saturating_sub(cost);
        self.show_position();
        self.show_files();
    }

    /// The estimated cost of the inputs the workers hold now. Each counts as
    /// half done, what it is on average: with only finished files counted, a
    /// run on N workers looks up to N files behind, and on a short run the
    /// ETA came out a third too long.
    pub fn set_in_flight(&mut self, cost: u64) {
        self.in_flight = cost;
        self.show_position();
    }

    fn show_position(&self) {
        if let Some(b) = &self.bar {
            // Never backwards: a file finishing early gives back more than
            // the half of it that was counted.
            b.set_position((self.cost_done + self.in_flight / 2).max(b.position()));
        }
    }

    /// Prints a line on stderr above the bar.
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    /// Prints a line on stdout, keeping the bar intact. A closed stdout
    /// (`imgbatch … --dry-run | head`) is not an error: the run goes on.
    pub fn out_line(&self, text: &str) {
        use std::io::Write;
        let print = || {
            let _ = writeln!(std::io::stdout(), "{text}");
        };
        match &self.bar {
            Some(b) => b.suspend(print),
            None => print(),
        }
    }

    /// `bench`: shows which configuration is running, as run `done` of `total`.
    pub fn step(&self, label: &str, done: usize, total: usize) {
        if let Some(b) = &self.bar {
            if done == 0 {
                b.set_style(style("{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} runs · {msg}"));
            }
            b.set_length(total as u64);
            b.set_position(done as u64);
            b.set_message(label.to_string());
        }
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
            restore_terminal();
        }
    }
}
