//! The progress bar and every line the run prints on stderr. Owned by the
//! writer thread alone, so lines never tear and the bar is never drawn over.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress display fed by the writer.
pub struct Progress {
    bar: Option<ProgressBar>,
    failed: u64,
}

impl Progress {
    /// A bar on stderr when `enabled` and stderr is a terminal; otherwise silent.
    pub fn new(enabled: bool) -> Self {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {rate} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1} files/s", s.per_sec());
            })
            .progress_chars("=> ");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar, failed: 0 }
    }

    /// The total grows while the walker is still finding files.
    pub fn set_total(&self, total: u64) {
        if let Some(b) = &self.bar {
            b.set_length(total);
        }
    }

    /// One more input finished.
    pub fn inc(&mut self, failed: bool) {
        if failed {
            self.failed += 1;
        }
        if let Some(b) = &self.bar {
            b.inc(1);
            if failed {
                b.set_message(format!("{} failed", self.failed));
            }
        }
    }

    /// Prints a line on stderr above the bar.
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    /// Prints a line on stdout, keeping the bar intact.
    pub fn out_line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
    }

    /// `bench`: shows which configuration is running, as run `done` of `total`.
    pub fn step(&self, label: &str, done: usize, total: usize) {
        if let Some(b) = &self.bar {
            if done == 0
                && let Ok(style) =
                    ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} runs · {msg}")
            {
                b.set_style(style.progress_chars("=> "));
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
        }
    }
}
