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

use crate::cost::{self, CostModel};
use crate::error::{FileError, SetupError};
use crate::format::Class;
use crate::format::{self, HEAD_LEN, InFormat, is_candidate};
use crate::job::{FormatChoice, Job, OutFormat, Target};
use crate::ledger::{self, Identity, Ledger, Redo, Stamp, Verdict};
use crate::naming::{Fields, NameTemplate};
use crate::output;
use crate::pairs::{Role, Siblings};
use crate::probe;
use crate::read::open_input;
use crate::schedule::{Lookahead, WINDOW};
use crate::task::{FileResult, Msg, Outcome, Task};

/// Extensions of image files (compared case-insensitively). A file with one
/// of them whose content is not an image is a failure (a broken photo); any
/// other file that is not an image is only counted.
/// How a file that is not an image is counted: by its extension as written
/// (`.MOV`), by its whole name for dot files (`.DS_Store`).
pub(crate) fn kind_of(path: &Path) -> String {
    match (path.extension(), path.file_name()) {
        (Some(e), _) => format!(".{}", e.to_string_lossy()),
        (None, Some(n)) if n.as_encoded_bytes().first() == Some(&b'.') => n.to_string_lossy().into_owned(),
        _ => "no extension".into(),
    }
}

/// What the walk passed over without handing it to anyone: shown in the summary.
#[derive(Debug, Default)]
pub struct WalkCounts {
    /// Hidden files and folders not walked (no `--hidden`).
    pub hidden: AtomicU64,
    /// Symbolic links not followed (no `--follow`).
    pub links: AtomicU64,
}

fn is_hidden(e: &DirEntry) -> bool {
    e.depth() > 0 && e.file_name().as_encoded_bytes().first() == Some(&b'.')
}

/// A folder's identity (device and inode), which names it however it is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FolderId(u64, u64);

impl FolderId {
    /// The identity of the folder at `path`, if there is one.
    pub fn of(path: &Path) -> Option<FolderId> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().filter(|m| m.is_dir()).map(|m| FolderId(m.dev(), m.ino()))
    }
}

/// Whether `e` is the folder `dir`. One stat per folder: resolving each
/// folder's whole path instead made a 2,000-level tree quadratic (two
/// million readlinks for two files).
fn is_dir_at(e: &DirEntry, dir: Option<FolderId>) -> bool {
    use std::os::unix::fs::MetadataExt;
    e.file_type().is_dir() && dir.is_some_and(|d| e.metadata().is_ok_and(|m| FolderId(m.dev(), m.ino()) == d))
}

/// The extension of an output: the input's own, as written, when it already
/// names the output's format (`IMG_0001.JPG` → `IMG_0001_256.JPG`, as a user
/// comparing folders expects; lower-cased with `--lowercase-ext`), else the
/// format's (`scan.tif` → `scan_256.jpg`).
pub(crate) fn output_extension(format: OutFormat, input_ext: Option<&str>, lowercase: bool) -> String {
    match input_ext {
        Some(e) if format.named_by(e) && lowercase => e.to_ascii_lowercase(),
        Some(e) if format.named_by(e) => e.to_string(),
        _ => format.extension().to_string(),
    }
}

/// The output format for an input of format `f`.
pub(crate) fn choose_format(choice: FormatChoice, f: InFormat) -> OutFormat {
    match (choice, f) {
        (FormatChoice::Fixed(o), _) => o,
        (FormatChoice::Same, f) => f.same_output(),
    }
}

/// The entries under folder `root` that a run looks at, in walk order: hidden
/// ones only with `--hidden` (`on_hidden` is told of each one left out), never
/// the output folder. The walker and the progress count share this walk.
fn entries<F: Fn()>(
    job: &Job,
    root: &Path,
    out_dir: Option<FolderId>,
    on_hidden: F,
) -> impl Iterator<Item = walkdir::Result<DirEntry>> + use<F> {
    let hidden = job.select.hidden;
    WalkDir::new(root).follow_links(job.select.follow).sort_by_file_name().into_iter().filter_entry(move |e| {
        if !hidden && is_hidden(e) {
            on_hidden();
            return false;
        }
        // This run's output folder, and any other run's below an input
        // root (a root the user names is taken as given).
        let output_folder = e.file_type().is_dir()
            && (e.file_name() == output::MARKER || (e.depth() > 0 && output::is_marked(e.path())));
        !output_folder && !is_dir_at(e, out_dir)
    })
}

/// The size of the job, found ahead of the walker for the progress bar: a
/// listing pass (directory listings and `stat`s, no file opened) gives the
/// total at once, in costs guessed from names and sizes; a header pass then
/// reads the head of a sample of files spread over the whole walk (every
/// one up to [`SAMPLES`] files) and rescales each class's guess by what the
/// heads say (see [`crate::cost`]).
#[derive(Debug, Default)]
pub struct Tally {
    /// Files found so far.
    pub files: AtomicU64,
    /// Their total size.
    pub bytes: AtomicU64,
    /// The listing is complete.
    pub done: AtomicBool,
    /// Guessed cost of the files found, per [`Class`].
    guessed: [AtomicU64; Class::COUNT],
    /// Guessed cost of the files sampled by the header pass, per class.
    sample_guessed: [AtomicU64; Class::COUNT],
    /// Their cost as estimated from their heads, per class.
    sample_estimated: [AtomicU64; Class::COUNT],
}

/// How many files the header pass reads the head of, at most: enough for
/// the per-class scales to settle, few enough that a folder of a million
/// files costs the pass a moment.
pub(crate) const SAMPLES: u64 = 1000;

impl Tally {
    fn add(&self, class: Class, len: u64, guess: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len, Ordering::Relaxed);
        self.guessed[class.index()].fetch_add(guess, Ordering::Relaxed);
    }

    fn sample(&self, class: Class, guess: u64, estimate: u64) {
        self.sample_estimated[class.index()].fetch_add(estimate, Ordering::Relaxed);
        self.sample_guessed[class.index()].fetch_add(guess, Ordering::Relaxed);
    }

    /// The estimated cost of the whole job so far: each class's guess scaled
    /// by what its sampled heads said.
    pub fn cost(&self) -> u64 {
        let load = |a: &[AtomicU64; Class::COUNT], i: usize| a[i].load(Ordering::Relaxed) as f64;
        (0..Class::COUNT)
            .map(|i| {
                let (sampled, guessed) = (load(&self.sample_estimated, i), load(&self.sample_guessed, i));
                let scale = if guessed > 0.0 { sampled / guessed } else { 1.0 };
                (load(&self.guessed, i) * scale) as u64
            })
            .sum()
    }
}

/// The first symbolic link on the way from `root` to `root/rel` (the file
/// itself included), if any.
pub(crate) fn first_link(root: &Path, rel: &Path) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for part in rel.components() {
        path.push(part);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(path);
        }
    }
    None
}

/// Calls `f` with each file the walker will look at (path, path relative to
/// its input root, size), in walk order, until `f` or `cancel` says stop.
fn each_file(job: &Job, cancel: &AtomicBool, mut f: impl FnMut(&Path, &Path, u64)) -> bool {
    if let (Some(list), [root]) = (&job.select.listed, &job.inputs[..]) {
        for rel in list.iter().filter(|rel| mine(job, rel)) {
            if cancel.load(Ordering::Relaxed) {
                return false;
            }
            let path = root.join(rel);
            f(&path, rel, std::fs::metadata(&path).map_or(0, |m| m.len()));
        }
        return true;
    }
    let out_dir = FolderId::of(&job.output.dir);
    for root in &job.inputs {
        if !root.is_dir() {
            let rel = root.file_name().map_or_else(|| root.to_path_buf(), PathBuf::from);
            if mine(job, &rel) {
                f(root, &rel, std::fs::metadata(root).map_or(0, |m| m.len()));
            }
            continue;
        }
        for entry in entries(job, root, out_dir, || {}).flatten() {
            if cancel.load(Ordering::Relaxed) {
                return false;
            }
            let ft = entry.file_type();
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if !ft.is_dir() && !ft.is_symlink() && mine(job, rel) {
                f(entry.path(), rel, entry.metadata().map_or(0, |m| m.len()));
            }
        }
    }
    true
}

/// Sizes up what the walker will find (the same walk, ahead of it) into
/// `tally`: a listing, then a header pass over a sample; stops early when
/// `cancel` is set.
pub fn count(job: &Job, ledger: &Ledger, tally: &Tally, cancel: &AtomicBool) {
    let model = CostModel::for_job(job);
    let listed = each_file(job, cancel, |path, _, len| tally.add(Class::of(path), len, model.guess(path, len)));
    if !listed {
        return;
    }
    tally.done.store(true, Ordering::Relaxed);
    let every = tally.files.load(Ordering::Relaxed).div_ceil(SAMPLES).max(1);
    let mut n = 0u64;
    each_file(job, cancel, |path, rel, len| {
        if n.is_multiple_of(every) {
            let guess = model.guess(path, len);
            let estimate = inspect(job, ledger, path, rel, None, &model, cost::HEAD).map_or(guess, |i| i.cost);
            tally.sample(Class::of(path), guess, estimate);
        }
        n += 1;
    });
}

/// Whether the input at `rel` is this process's (always, without `--shard`).
fn mine(job: &Job, rel: &Path) -> bool {
    job.select.shard.is_none_or(|s| s.owns(rel))
}

/// What the walker learns of a file before handing it on.
struct Inspected {
    /// The input's format.
    source: InFormat,
    format: OutFormat,
    outputs: Vec<(PathBuf, Target)>,
    /// Which outputs must be made: none when all are there, made from this
    /// input with these settings.
    todo: Vec<bool>,
    /// Why outputs that are there are made again.
    redo: Option<Redo>,
    stamp: Stamp,
    /// Estimated cost, for the order of the tasks and the bar.
    cost: u64,
    meta: std::fs::Metadata,
}

/// The outputs of the input at `rel` in `format`: path and target of each,
/// named by `--name` or the default scheme, the stem tagged by `--pairs both`.
fn output_paths(job: &Job, rel: &Path, tag: Option<&str>, ext: &str, format: OutFormat) -> Vec<(PathBuf, Target)> {
    let default;
    let names = match &job.output.name {
        Some(t) => t,
        None => {
            default = NameTemplate::default_scheme(matches!(job.operation, crate::job::Operation::Thumbs { .. }));
            &default
        }
    };
    let mut stem = rel.file_stem().unwrap_or(rel.as_os_str()).to_os_string();
    if let Some(tag) = tag {
        stem.push("_");
        stem.push(tag);
    }
    let outputs = job.operation.outputs().into_iter();
    outputs
        .map(|target| {
            let (width, height, format) = (target.width, target.height, format.arg_name());
            let path = job.output.dir.join(names.render(&Fields { rel, stem: &stem, ext, width, height, format }));
            (path, target)
        })
        .collect()
}

/// `--name`: two inputs the template gives one output, found before any
/// work from the names alone (each file's format by its extension; the
/// walker checks again by content as it goes).
pub(crate) fn check_names(job: &Job) -> Result<(), SetupError> {
    let Some(template) = &job.output.name else { return Ok(()) };
    let mut siblings = Siblings::default();
    let mut claimed: HashMap<u64, PathBuf> = HashMap::new();
    let mut clash = None;
    let stop = AtomicBool::new(false);
    each_file(job, &stop, |path, rel, _| {
        let tag = match siblings.role(path, job.select.pairs) {
            Role::Paired(_) => return,
            Role::Apart(tag) => Some(tag),
            Role::Makes => None,
        };
        let Some(source) = format::by_extension(path).and_then(|row| row.format) else { return };
        let Ok(source) = format::readable(source) else { return };
        let format = choose_format(job.output.format, source);
        let ext = output_extension(format, path.extension().and_then(OsStr::to_str), job.output.lowercase_ext);
        for (out, _) in output_paths(job, rel, tag.as_deref(), &ext, format) {
            let key = twox_hash::XxHash64::oneshot(0, out.as_os_str().as_encoded_bytes());
            match claimed.get(&key) {
                Some(first) => {
                    clash = Some((out, first.clone(), path.to_path_buf()));
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
                None => {
                    claimed.insert(key, path.to_path_buf());
                }
            }
        }
    });
    match clash {
        Some((out, a, b)) => Err(SetupError::Invalid(format!(
            "--name {}: {} and {} would both write {}; put {{dir}} (or another field) in the name",
            template.text(),
            a.display(),
            b.display(),
            out.display()
        ))),
        None => Ok(()),
    }
}

/// Which of an input's outputs must be made, from the record's verdict on
/// each (all of them with `--force`), and the weightiest reason any of
/// those that are there gives.
fn judge(job: &Job, ledger: &Ledger, outputs: &[(PathBuf, Target)], stamp: &Stamp) -> (Vec<bool>, Option<Redo>) {
    if job.output.force {
        let there = outputs.iter().any(|(p, _)| p.exists());
        return (vec![true; outputs.len()], there.then_some(Redo::Forced));
    }
    let mut redo: Option<Redo> = None;
    let todo = outputs
        .iter()
        .zip(&stamp.settings)
        .map(|((p, _), &k)| match ledger.verdict(p, k, stamp.identity) {
            Verdict::Fresh => false,
            Verdict::New => true,
            Verdict::Redo(r) => {
                redo = Some(redo.map_or(r, |o| o.min(r)));
                true
            }
        })
        .collect();
    (todo, redo)
}

/// Sniffs the format, maps the outputs, checks whether they are up to date
/// and estimates the cost from the file's first `want` bytes (the bar wants
/// [`cost::HEAD`]; the order of the tasks makes do with what the sniffing
/// reads).
fn inspect(
    job: &Job,
    ledger: &Ledger,
    path: &Path,
    rel: &Path,
    tag: Option<&str>,
    model: &CostModel,
    want: usize,
) -> Result<Inspected, FileError> {
    let (file, meta) = open_input(path)?;
    let want = want.max(HEAD_LEN);
    let mut head = Vec::with_capacity(want);
    file.take(want as u64).read_to_end(&mut head).map_err(FileError::Read)?;
    let extension = path.extension().and_then(OsStr::to_str);
    let probe = probe::probe(&head, extension)?;
    let format = choose_format(job.output.format, format::readable(probe.format)?);
    let ext = output_extension(format, extension, job.output.lowercase_ext);
    let outputs = output_paths(job, rel, tag, &ext, format);
    let stamp = Stamp {
        input: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
        identity: Identity::of(&meta),
        settings: outputs.iter().map(|(_, t)| ledger::settings_key(job, format, *t)).collect(),
    };
    let (todo, redo) = judge(job, ledger, &outputs, &stamp);
    let up_to_date = !todo.contains(&true);
    let cost = if up_to_date { model.up_to_date() } else { model.estimate(path, meta.len(), &probe, format) };
    Ok(Inspected { source: probe.format, format, outputs, todo, redo, stamp, cost, meta })
}

/// Walker state for one run.
pub struct Walker<'a> {
    job: &'a Job,
    /// The output folder's record: what is up to date.
    ledger: &'a Ledger,
    /// Canonical output folder, never walked.
    out_dir: Option<FolderId>,
    /// Output path → the input that claimed it.
    claimed: HashMap<PathBuf, PathBuf>,
    tasks: Sender<Task>,
    results: Sender<Msg>,
    counts: &'a WalkCounts,
    cancel: &'a AtomicBool,
    /// Files handed on so far: the next one's place in the walk.
    seq: u64,
    model: CostModel,
    /// How much of each file's head to read for its cost.
    head: usize,
    /// Planned tasks not yet handed on (see schedule.rs).
    window: Lookahead,
    /// The current folder's shots saved in several formats (see pairs.rs).
    siblings: Siblings,
}

/// Set when the receiving side has gone away; the walk stops.
struct Disconnected;

impl<'a> Walker<'a> {
    /// A walker sending on `tasks` (to workers) and `results` (to the writer).
    pub fn new(
        job: &'a Job,
        ledger: &'a Ledger,
        tasks: Sender<Task>,
        results: Sender<Msg>,
        counts: &'a WalkCounts,
        cancel: &'a AtomicBool,
    ) -> Self {
        let out_dir = FolderId::of(&job.output.dir);
        // A window of one hands tasks on in walk order.
        let window = Lookahead::new(if job.resources.costliest_first { WINDOW } else { 1 });
        let model = CostModel::for_job(job);
        Walker {
            job,
            ledger,
            out_dir,
            claimed: HashMap::new(),
            tasks,
            results,
            counts,
            cancel,
            seq: 0,
            model,
            head: 0,
            window,
            siblings: Siblings::default(),
        }
    }

    /// Estimates each task's cost closely enough for the progress bar, from
    /// a longer read of each file's head.
    pub(crate) fn estimating_costs(mut self) -> Self {
        self.head = cost::HEAD;
        self
    }

    /// Walks every input in order; returns when done, cancelled or
    /// disconnected, having handed on every task it planned unless stopped.
    pub fn run(mut self) {
        if self.walk().is_err() {
            return;
        }
        while let Some(task) = self.window.pop() {
            if self.send(task).is_err() {
                return;
            }
        }
    }

    fn walk(&mut self) -> Result<(), Disconnected> {
        let job = self.job;
        if let (Some(list), [root]) = (&job.select.listed, &job.inputs[..]) {
            for rel in list.iter().filter(|rel| mine(job, rel)) {
                if self.cancel.load(Ordering::Relaxed) {
                    return Err(Disconnected);
                }
                // The walk does not follow links without -L; neither does a
                // list, or a link in it could lead anywhere (/etc/passwd).
                if !job.select.follow
                    && let Some(link) = first_link(root, rel)
                {
                    self.fail(root.join(rel), FileError::ThroughLink(link))?;
                    continue;
                }
                self.handle_file(&root.join(rel), rel, false)?;
            }
            return Ok(());
        }
        for root in &self.job.inputs {
            self.walk_root(root)?;
        }
        Ok(())
    }

    fn walk_root(&mut self, root: &Path) -> Result<(), Disconnected> {
        // A file named on the command line is processed whatever its name,
        // and a link named there is followed, as fd and ripgrep do.
        if !root.is_dir() {
            let rel = root.file_name().map(PathBuf::from).unwrap_or_else(|| root.to_path_buf());
            if !mine(self.job, &rel) {
                return Ok(());
            }
            return self.handle_file(root, &rel, true);
        }
        let counts = self.counts;
        let walker = entries(self.job, root, self.out_dir, move || {
            counts.hidden.fetch_add(1, Ordering::Relaxed);
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
            // Another shard's file is not opened, counted or reported here.
            if mine(self.job, &rel) {
                self.handle_file(entry.path(), &rel, false)?;
            }
        }
        Ok(())
    }

    /// Hands an input that needs no worker (failed or up to date) to the writer.
    fn report(&mut self, input: PathBuf, outcome: Outcome) -> Result<(), Disconnected> {
        let seq = self.next_seq();
        let r = FileResult {
            input,
            seq,
            elapsed: Duration::ZERO,
            cost: None,
            outcome,
            stamp: Stamp::default(),
            redo: None,
        };
        self.results.send(Msg::File(r)).map_err(|_| Disconnected)
    }

    /// Hands on the costliest planned tasks the queue has room for, and
    /// when the window is full, the costliest one even if that means waiting.
    fn queue(&mut self, task: Task) -> Result<(), Disconnected> {
        use crossbeam_channel::TrySendError;
        self.window.push(task);
        // One sender: room now stays room until this one fills it.
        while !self.tasks.is_full() {
            let Some(task) = self.window.pop() else { break };
            match self.tasks.try_send(task) {
                Ok(()) => {}
                Err(TrySendError::Full(task)) => {
                    self.window.push(task);
                    break;
                }
                Err(TrySendError::Disconnected(_)) => return Err(Disconnected),
            }
        }
        match self.window.is_full() {
            true => self.window.pop().map_or(Ok(()), |task| self.send(task)),
            false => Ok(()),
        }
    }

    /// Queues a task, waiting while the queue is full, but not past a stop:
    /// after Ctrl-C a worker stuck in a decoder may never take another task,
    /// and a walker blocked on its queue would keep the run from ending.
    fn send(&self, mut task: Task) -> Result<(), Disconnected> {
        use crossbeam_channel::SendTimeoutError;
        loop {
            match self.tasks.send_timeout(task, Duration::from_millis(100)) {
                Ok(()) => return Ok(()),
                Err(SendTimeoutError::Timeout(t)) if !self.cancel.load(Ordering::Relaxed) => task = t,
                Err(_) => return Err(Disconnected),
            }
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq - 1
    }

    fn fail(&mut self, input: PathBuf, error: FileError) -> Result<(), Disconnected> {
        self.report(input, Outcome::Failed(error))
    }

    /// `named`: the file was given on the command line, so it is meant to be
    /// an image and one that is not fails.
    fn handle_file(&mut self, path: &Path, rel: &Path, named: bool) -> Result<(), Disconnected> {
        // A file named on the command line is meant, whatever its siblings.
        let role = if named { Role::Makes } else { self.siblings.role(path, self.job.select.pairs) };
        let tag = match role {
            Role::Paired(with) => return self.report(path.to_path_buf(), Outcome::Paired(with)),
            Role::Apart(tag) => Some(tag),
            Role::Makes => None,
        };
        match self.plan(path, rel, tag.as_deref()) {
            Ok(mut task) => {
                task.seq = self.next_seq();
                self.queue(task)
            }
            Err(FileError::NotAnImage(_)) if !named && !is_candidate(path.as_os_str()) => {
                self.report(path.to_path_buf(), Outcome::NotImage(kind_of(path)))
            }
            Err(e) => self.fail(path.to_path_buf(), e),
        }
    }

    /// Inspects the file and claims its outputs.
    fn plan(&mut self, path: &Path, rel: &Path, tag: Option<&str>) -> Result<Task, FileError> {
        let Inspected { source, format, mut outputs, todo, redo, mut stamp, cost, meta } =
            inspect(self.job, self.ledger, path, rel, tag, &self.model, self.head)?;
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
        // Only the outputs that must be made, when some are fresh: a size
        // added to a thumbnail set makes that size alone.
        let up_to_date = !todo.contains(&true);
        if !up_to_date {
            let mut keep = todo.iter().copied();
            outputs.retain(|_| keep.next().unwrap_or(true));
            let mut keep = todo.iter().copied();
            stamp.settings.retain(|_| keep.next().unwrap_or(true));
        }
        Ok(Task { input: path.to_path_buf(), seq: 0, up_to_date, cost, source, format, outputs, stamp, redo })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Operation;

    #[test]
    fn the_count_finds_what_the_walker_hands_on() {
        let dir = tempfile::tempdir().unwrap();
        let img = image::RgbImage::new(8, 8);
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        img.save(dir.path().join("a/one.png")).unwrap();
        img.save(dir.path().join("a/b/two.jpg")).unwrap();
        std::fs::write(dir.path().join("a/notes.txt"), "not an image").unwrap();
        std::fs::write(dir.path().join(".hidden.jpg"), "skipped").unwrap();
        std::os::unix::fs::symlink(dir.path().join("a/one.png"), dir.path().join("link.png")).unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        img.save(out.join("old_output.png")).unwrap();
        let job = Job::new(vec![dir.path().to_path_buf()], out, Operation::Thumbs { sizes: vec![4], crop: false });
        let tally = Tally::default();
        count(&job, &Ledger::default(), &tally, &AtomicBool::new(false));
        assert!(tally.done.load(Ordering::Relaxed));
        // Two images and the text file; not the hidden file, the link or the output folder.
        assert_eq!(tally.files.load(Ordering::Relaxed), 3);
        let sizes: u64 = ["a/one.png", "a/b/two.jpg", "a/notes.txt"]
            .iter()
            .map(|f| std::fs::metadata(dir.path().join(f)).unwrap().len())
            .sum();
        assert_eq!(tally.bytes.load(Ordering::Relaxed), sizes);
        // And the walker hands on exactly those three.
        let (tasks, task_rx) = crossbeam_channel::unbounded();
        let (results, result_rx) = crossbeam_channel::unbounded();
        let counts = WalkCounts::default();
        Walker::new(&job, &Ledger::default(), tasks, results, &counts, &AtomicBool::new(false)).run();
        assert_eq!(task_rx.len() + result_rx.len(), 3);
    }

    #[test]
    fn outputs_keep_the_input_extension_as_written_when_the_format_stays() {
        assert_eq!(output_extension(OutFormat::Jpeg, Some("JPG"), false), "JPG");
        assert_eq!(output_extension(OutFormat::Jpeg, Some("jpeg"), false), "jpeg");
        assert_eq!(output_extension(OutFormat::Jpeg, Some("JPG"), true), "jpg");
        assert_eq!(output_extension(OutFormat::Jpeg, Some("HEIC"), false), "jpg");
        assert_eq!(output_extension(OutFormat::Png, Some("JPG"), false), "png");
        assert_eq!(output_extension(OutFormat::Webp, None, false), "webp");
    }

    #[test]
    fn the_walker_hands_on_the_costliest_first_when_workers_are_busy() {
        assert_eq!(walker_order(true), ["z.jpg", "b.jpg", "c.jpg", "a.jpg"]);
        // Under a memory budget (--max-memory), walk order.
        assert_eq!(walker_order(false), ["a.jpg", "b.jpg", "c.jpg", "z.jpg"]);
    }

    /// The order in which the walker hands on four images while a busy
    /// worker keeps the queue full.
    fn walker_order(costliest_first: bool) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        // By name the biggest image comes last; by cost it goes first.
        let noise =
            |n: u32| image::RgbImage::from_fn(n, n, |x, y| image::Rgb([((x * 7) ^ (y * 13)) as u8, (x * y) as u8, 9]));
        for (name, side) in [("a.jpg", 16), ("b.jpg", 48), ("c.jpg", 32), ("z.jpg", 256)] {
            noise(side).save(dir.path().join(name)).unwrap();
        }
        // Walked last: when the writer hears of it, every image is planned.
        std::fs::write(dir.path().join("zz.txt"), "not an image").unwrap();
        let mut job = Job::new(
            vec![dir.path().to_path_buf()],
            dir.path().join("out"),
            Operation::Thumbs { sizes: vec![8], crop: false },
        );
        job.resources.costliest_first = costliest_first;
        // A queue of one that a busy worker has not emptied yet: every planned
        // task waits in the walker's window until the walk is over (in walk
        // order the walker waits on the first one instead).
        let (tasks, task_rx) = crossbeam_channel::bounded(1);
        let busy = Task {
            input: "busy".into(),
            seq: 0,
            up_to_date: false,
            cost: 0,
            source: InFormat::Jpeg,
            format: OutFormat::Jpeg,
            outputs: vec![],
            stamp: Stamp::default(),
            redo: None,
        };
        tasks.send(busy).unwrap();
        let (results, result_rx) = crossbeam_channel::unbounded();
        let counts = WalkCounts::default();
        let order: Vec<String> = std::thread::scope(|s| {
            s.spawn(|| Walker::new(&job, &Ledger::default(), tasks, results, &counts, &AtomicBool::new(false)).run());
            if costliest_first {
                assert!(matches!(result_rx.recv(), Ok(Msg::File(FileResult { outcome: Outcome::NotImage(_), .. }))));
            }
            task_rx.iter().skip(1).map(|t| t.input.file_name().unwrap().to_string_lossy().into_owned()).collect()
        });
        order
    }

    #[test]
    fn the_header_pass_rescales_what_sizes_alone_guessed() {
        let dir = tempfile::tempdir().unwrap();
        // Flat images compress to almost nothing: by size they cost nothing,
        // but each has 16 MP to filter and shrink.
        for name in ["a.png", "b.png", "c.png"] {
            image::GrayImage::new(4000, 4000).save(dir.path().join(name)).unwrap();
        }
        let job = Job::new(
            vec![dir.path().to_path_buf()],
            dir.path().join("out"),
            Operation::Thumbs { sizes: vec![256], crop: false },
        );
        let model = CostModel::for_job(&job);
        let guessed: u64 = ["a.png", "b.png", "c.png"]
            .iter()
            .map(|f| model.guess(Path::new(f), std::fs::metadata(dir.path().join(f)).unwrap().len()))
            .sum();
        let tally = Tally::default();
        count(&job, &Ledger::default(), &tally, &AtomicBool::new(false));
        assert!(tally.cost() > 20 * guessed, "{} against {guessed}", tally.cost());
        // The walker estimates each file the same way, so a finished run fills the bar.
        let (tasks, task_rx) = crossbeam_channel::unbounded();
        let (results, _result_rx) = crossbeam_channel::unbounded();
        let counts = WalkCounts::default();
        Walker::new(&job, &Ledger::default(), tasks, results, &counts, &AtomicBool::new(false))
            .estimating_costs()
            .run();
        let walked: u64 = task_rx.try_iter().map(|t| t.cost).sum();
        assert_eq!(walked, tally.cost());
    }

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
        let heic = InFormat::Heif(format::HeifKind::Heic);
        assert_eq!(choose_format(FormatChoice::Same, heic), OutFormat::Jpeg);
        assert_eq!(choose_format(FormatChoice::Fixed(OutFormat::Png), InFormat::Jpeg), OutFormat::Png);
    }
}
