//! The walker: turns the inputs into tasks on a bounded channel. It chooses
//! candidates by extension, decides each output's format from the file's
//! content, claims output paths (so two inputs never write the same file)
//! and skips inputs whose outputs are up to date. Failures it finds go
//! straight to the writer.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;
use image::ImageFormat;
use walkdir::{DirEntry, WalkDir};

use crate::error::FileError;
use crate::job::{FormatChoice, Job, OutFormat};
use crate::output;
use crate::pipeline::Msg;
use crate::process::{Task, decode, open_input};
use crate::report::{FileResult, Outcome};

/// Extensions that make a file a candidate (compared case-insensitively).
pub const EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff"];

/// Whether a file name has one of the candidate extensions.
pub fn is_candidate(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .and_then(OsStr::to_str)
        .is_some_and(|e| EXTENSIONS.iter().any(|c| c.eq_ignore_ascii_case(e)))
}

fn is_hidden(e: &DirEntry) -> bool {
    e.depth() > 0 && e.file_name().as_encoded_bytes().first() == Some(&b'.')
}

/// Whether `e` is the folder `dir` (canonical). Only folders are compared:
/// canonicalising every file would cost a syscall chain each.
fn is_dir_at(e: &DirEntry, dir: Option<&Path>) -> bool {
    e.file_type().is_dir() && dir.is_some_and(|d| std::fs::canonicalize(e.path()).is_ok_and(|p| p == d))
}

/// The output format for an input of format `f`.
pub fn choose_format(choice: FormatChoice, f: ImageFormat) -> OutFormat {
    match (choice, f) {
        (FormatChoice::Fixed(o), _) => o,
        (FormatChoice::Same, ImageFormat::Png) => OutFormat::Png,
        (FormatChoice::Same, ImageFormat::WebP) => OutFormat::Webp,
        (FormatChoice::Same, _) => OutFormat::Jpeg,
    }
}

/// Walker state for one run.
pub struct Walker<'a> {
    job: &'a Job,
    /// Canonical output folder, never walked.
    out_dir: Option<PathBuf>,
    /// Output path → the input that claimed it.
    claimed: HashMap<PathBuf, PathBuf>,
    tasks: Sender<Task>,
    results: Sender<Msg>,
    found: &'a AtomicU64,
    cancel: &'a AtomicBool,
}

/// Set when the receiving side has gone away; the walk stops.
struct Disconnected;

impl<'a> Walker<'a> {
    /// A walker sending on `tasks` (to workers) and `results` (to the writer).
    pub fn new(
        job: &'a Job,
        tasks: Sender<Task>,
        results: Sender<Msg>,
        found: &'a AtomicU64,
        cancel: &'a AtomicBool,
    ) -> Self {
        let out_dir = std::fs::canonicalize(&job.output_dir).ok();
        Walker { job, out_dir, claimed: HashMap::new(), tasks, results, found, cancel }
    }

    /// Walks every input in order; returns when done, cancelled or disconnected.
    pub fn run(mut self) {
        for root in &self.job.inputs {
            if self.walk_root(root).is_err() {
                return;
            }
        }
    }

    fn walk_root(&mut self, root: &Path) -> Result<(), Disconnected> {
        // A file named on the command line is processed whatever its name,
        // and a link named there is followed, as fd and ripgrep do.
        if !root.is_dir() {
            let rel = root.file_name().map(PathBuf::from).unwrap_or_else(|| root.to_path_buf());
            return self.handle_file(root, &rel);
        }
        let (hidden, out_dir) = (self.job.hidden, self.out_dir.clone());
        let walker = WalkDir::new(root)
            .follow_links(self.job.follow)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(move |e| (hidden || !is_hidden(e)) && !is_dir_at(e, out_dir.as_deref()));
        for entry in walker {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(Disconnected);
            }
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let path = err.path().unwrap_or(root).to_path_buf();
                    let reason = match err.loop_ancestor() {
                        Some(a) => format!("symlink loop back to {}", a.display()),
                        None => err.io_error().map_or_else(|| err.to_string(), |e| e.to_string()),
                    };
                    self.fail(path, FileError::Walk(reason))?;
                    continue;
                }
            };
            let ft = entry.file_type();
            if ft.is_dir() || !is_candidate(entry.file_name()) {
                continue;
            }
            if ft.is_symlink() {
                // Not following links: a linked file is not ours to read.
                continue;
            }
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path()).to_path_buf();
            self.handle_file(entry.path(), &rel)?;
        }
        Ok(())
    }

    /// Hands an input that needs no worker (failed or up to date) to the writer.
    fn report(&self, input: PathBuf, outcome: Outcome) -> Result<(), Disconnected> {
        self.found.fetch_add(1, Ordering::Relaxed);
        let r = FileResult { input, elapsed: Duration::ZERO, outcome };
        self.results.send(Msg::File(r)).map_err(|_| Disconnected)
    }

    fn fail(&self, input: PathBuf, error: FileError) -> Result<(), Disconnected> {
        self.report(input, Outcome::Failed(error))
    }

    fn handle_file(&mut self, path: &Path, rel: &Path) -> Result<(), Disconnected> {
        match self.plan(path, rel) {
            Ok(Planned::Task(task)) => {
                self.found.fetch_add(1, Ordering::Relaxed);
                self.tasks.send(task).map_err(|_| Disconnected)
            }
            Ok(Planned::UpToDate(outputs)) => self.report(path.to_path_buf(), Outcome::Skipped(outputs)),
            Err(e) => self.fail(path.to_path_buf(), e),
        }
    }

    /// Sniffs the format, maps and claims the outputs, checks for up-to-date.
    fn plan(&mut self, path: &Path, rel: &Path) -> Result<Planned, FileError> {
        let (file, meta) = open_input(path)?;
        let mut head = Vec::with_capacity(32);
        file.take(32).read_to_end(&mut head).map_err(FileError::Read)?;
        let format = choose_format(self.job.format, decode::sniff(&head)?);
        let outputs: Vec<_> = self
            .job
            .operation
            .outputs()
            .into_iter()
            .map(|(suffix, target)| {
                (output::output_path(&self.job.output_dir, rel, suffix.as_deref(), format.extension()), target)
            })
            .collect();
        for (out, _) in &outputs {
            if let Some(first) = self.claimed.get(out) {
                return Err(FileError::Collision { output: out.clone(), first: first.clone() });
            }
            if output::same_file(&meta, out) {
                return Err(FileError::WouldOverwriteInput(out.clone()));
            }
        }
        for (out, _) in &outputs {
            self.claimed.insert(out.clone(), path.to_path_buf());
        }
        let paths: Vec<PathBuf> = outputs.iter().map(|(p, _)| p.clone()).collect();
        if !self.job.force && meta.modified().is_ok_and(|t| output::up_to_date(t, &paths)) {
            return Ok(Planned::UpToDate(paths));
        }
        Ok(Planned::Task(Task { input: path.to_path_buf(), format, outputs }))
    }
}

enum Planned {
    Task(Task),
    UpToDate(Vec<PathBuf>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_by_extension_any_case() {
        for n in ["a.jpg", "b.JPEG", "c.Png", "d.webp", "e.gif", "f.BMP", "g.tif", "h.TIFF"] {
            assert!(is_candidate(OsStr::new(n)), "{n}");
        }
        for n in ["a.txt", "jpg", "a.jpg.bak", "a.heic"] {
            assert!(!is_candidate(OsStr::new(n)), "{n}");
        }
    }

    #[test]
    fn same_format_keeps_writable_formats() {
        assert_eq!(choose_format(FormatChoice::Same, ImageFormat::Png), OutFormat::Png);
        assert_eq!(choose_format(FormatChoice::Same, ImageFormat::WebP), OutFormat::Webp);
        assert_eq!(choose_format(FormatChoice::Same, ImageFormat::Tiff), OutFormat::Jpeg);
        assert_eq!(choose_format(FormatChoice::Same, ImageFormat::Gif), OutFormat::Jpeg);
        assert_eq!(choose_format(FormatChoice::Fixed(OutFormat::Png), ImageFormat::Jpeg), OutFormat::Png);
    }
}
