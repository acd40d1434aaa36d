//! The walker: turns the inputs into tasks on a bounded channel. It looks at
//! every regular file, decides from its content whether it is an image and
//! which output format it gets, claims output paths (so two inputs never
//! write the same file) and skips inputs whose outputs are up to date.
//! Failures, skips and files that are not images go straight to the writer,
//! so nothing under the inputs goes unmentioned.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;
use walkdir::{DirEntry, WalkDir};

use crate::error::FileError;
use crate::job::{FormatChoice, Job, OutFormat};
use crate::output;
use crate::process::decode::{self, HEAD_LEN, InFormat};
use crate::process::open_input;
use crate::task::{FileResult, Msg, Outcome, Task};

/// Extensions of image files (compared case-insensitively). A file with one
/// of them whose content is not an image is a failure (a broken photo); any
/// other file that is not an image is only counted.
pub const EXTENSIONS: [&str; 37] = [
    "jpg", "jpeg", "jpe", "jfif", "png", "apng", "webp", "gif", "bmp", "tif", "tiff", "heic", "heif", "hif", "avif",
    "jxl", "dng", "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "orf", "rw2", "raf", "pef", "srw", "3fr",
    "erf", "kdc", "dcr", "mef", "iiq", "psd",
];

/// Whether a file name has one of the image extensions.
pub fn is_candidate(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .and_then(OsStr::to_str)
        .is_some_and(|e| EXTENSIONS.iter().any(|c| c.eq_ignore_ascii_case(e)))
}

/// How a file that is not an image is counted: by its extension as written
/// (`.MOV`), by its whole name for dot files (`.DS_Store`).
pub fn kind_of(path: &Path) -> String {
    match (path.extension(), path.file_name()) {
        (Some(e), _) => format!(".{}", e.to_string_lossy()),
        (None, Some(n)) if n.as_encoded_bytes().first() == Some(&b'.') => n.to_string_lossy().into_owned(),
        _ => "no extension".into(),
    }
}

/// What the walk passed over without handing it to anyone: shown in the summary.
#[derive(Debug, Default)]
pub struct WalkCounts {
    /// Images handed on (tasks, failures and skips): the progress bar's total.
    pub found: AtomicU64,
    /// Hidden files and folders not walked (no `--hidden`).
    pub hidden: AtomicU64,
    /// Symbolic links not followed (no `--follow`).
    pub links: AtomicU64,
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
pub fn choose_format(choice: FormatChoice, f: InFormat) -> OutFormat {
    match (choice, f) {
        (FormatChoice::Fixed(o), _) => o,
        (FormatChoice::Same, InFormat::Png) => OutFormat::Png,
        (FormatChoice::Same, InFormat::WebP) => OutFormat::Webp,
        // Everything else, HEIC, AVIF, JPEG XL and RAW included, becomes JPEG.
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
    counts: &'a WalkCounts,
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
        counts: &'a WalkCounts,
        cancel: &'a AtomicBool,
    ) -> Self {
        let out_dir = std::fs::canonicalize(&job.output_dir).ok();
        Walker { job, out_dir, claimed: HashMap::new(), tasks, results, counts, cancel }
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
            return self.handle_file(root, &rel, true);
        }
        let (hidden, out_dir, counts) = (self.job.hidden, self.out_dir.clone(), self.counts);
        let walker =
            WalkDir::new(root).follow_links(self.job.follow).sort_by_file_name().into_iter().filter_entry(move |e| {
                if !hidden && is_hidden(e) {
                    counts.hidden.fetch_add(1, Ordering::Relaxed);
                    return false;
                }
                !is_dir_at(e, out_dir.as_deref())
            });
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
            if ft.is_dir() {
                continue;
            }
            if ft.is_symlink() {
                // Not following links: a linked file is not ours to read.
                self.counts.links.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path()).to_path_buf();
            self.handle_file(entry.path(), &rel, false)?;
        }
        Ok(())
    }

    /// Hands an input that needs no worker (failed or up to date) to the writer.
    fn report(&self, input: PathBuf, outcome: Outcome) -> Result<(), Disconnected> {
        if !matches!(outcome, Outcome::NotImage(_)) {
            self.counts.found.fetch_add(1, Ordering::Relaxed);
        }
        let r = FileResult { input, elapsed: Duration::ZERO, outcome };
        self.results.send(Msg::File(r)).map_err(|_| Disconnected)
    }

    fn fail(&self, input: PathBuf, error: FileError) -> Result<(), Disconnected> {
        self.report(input, Outcome::Failed(error))
    }

    /// `named`: the file was given on the command line, so it is meant to be
    /// an image and one that is not fails.
    fn handle_file(&mut self, path: &Path, rel: &Path, named: bool) -> Result<(), Disconnected> {
        match self.plan(path, rel) {
            Ok(Planned::Task(task)) => {
                self.counts.found.fetch_add(1, Ordering::Relaxed);
                self.tasks.send(task).map_err(|_| Disconnected)
            }
            Ok(Planned::UpToDate(outputs)) => self.report(path.to_path_buf(), Outcome::Skipped(outputs)),
            Err(FileError::NotAnImage(_)) if !named && !is_candidate(path.as_os_str()) => {
                self.report(path.to_path_buf(), Outcome::NotImage(kind_of(path)))
            }
            Err(e) => self.fail(path.to_path_buf(), e),
        }
    }

    /// Sniffs the format, maps and claims the outputs, checks for up-to-date.
    fn plan(&mut self, path: &Path, rel: &Path) -> Result<Planned, FileError> {
        let (file, meta) = open_input(path)?;
        let mut head = Vec::with_capacity(HEAD_LEN);
        file.take(HEAD_LEN as u64).read_to_end(&mut head).map_err(FileError::Read)?;
        let extension = path.extension().and_then(OsStr::to_str);
        let format = choose_format(self.job.format, decode::readable(decode::sniff(&head, extension)?)?);
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
        for n in ["a.txt", "jpg", "a.jpg.bak", "a.MOV", "IMG_0001.AAE"] {
            assert!(!is_candidate(OsStr::new(n)), "{n}");
        }
        for n in ["IMG_0001.HEIC", "DSC_0001.NEF", "a.jxl", "b.avif"] {
            assert!(is_candidate(OsStr::new(n)), "{n}");
        }
    }

    #[test]
    fn non_images_are_counted_by_extension_as_written() {
        assert_eq!(kind_of(Path::new("a/IMG_0001.MOV")), ".MOV");
        assert_eq!(kind_of(Path::new("a/.DS_Store")), ".DS_Store");
        assert_eq!(kind_of(Path::new("a/README")), "no extension");
    }

    #[test]
    fn same_format_keeps_writable_formats() {
        assert_eq!(choose_format(FormatChoice::Same, InFormat::Png), OutFormat::Png);
        assert_eq!(choose_format(FormatChoice::Same, InFormat::WebP), OutFormat::Webp);
        assert_eq!(choose_format(FormatChoice::Same, InFormat::Tiff), OutFormat::Jpeg);
        assert_eq!(choose_format(FormatChoice::Same, InFormat::Gif), OutFormat::Jpeg);
        let heic = InFormat::Heif(decode::HeifKind::Heic);
        assert_eq!(choose_format(FormatChoice::Same, heic), OutFormat::Jpeg);
        assert_eq!(choose_format(FormatChoice::Fixed(OutFormat::Png), InFormat::Jpeg), OutFormat::Png);
    }
}
