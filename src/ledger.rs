//! The record of what imgbatch wrote into an output folder, kept in the
//! folder's `.imgbatch/`: for every output, the settings that made it and
//! the input it was made from. A re-run redoes exactly the outputs whose
//! input or settings changed (ninja keeps a log of each output's command for
//! the same reason), and `--delete` removes the outputs whose input is gone,
//! and nothing the record does not name.
//!
//! Each run appends to a file of its own (`run-<start>-<pid>[-shard-K-of-N].tsv`),
//! one line per output written, so shards writing into one folder never
//! touch each other's files, and a killed run has recorded every output it
//! finished but the last (which is made again). A run that is not a shard
//! folds every file into one at its end, so the record stays one file the
//! size of the folder. A line, later lines winning:
//!
//! `settings⇥input bytes⇥input mtime ns⇥output bytes⇥output (relative to -o)⇥input (absolute)`
//!
//! with `%`, tab, newline and return percent-encoded in the paths.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, CONTROLS, percent_decode, percent_encode};
use serde::{Deserialize, Serialize};
use twox_hash::XxHash64;

use crate::job::{Fit, ImageOptions, Job, OutFormat, Position, Target};
use crate::output::MARKER;
pub use crate::report::Redo;

const HEADER: &[u8] = b"# imgbatch record 1: settings, input bytes, input mtime ns, output bytes, output, input\n";
const PREFIX: &str = "run-";
const SUFFIX: &str = ".tsv";
/// Bytes of a path that would break a line or a field, and `%` itself.
const ESCAPED: &AsciiSet = &CONTROLS.add(b'%');

/// What identifies an input's content without reading it: its size and
/// modification time (as make, rsync and ninja judge a file).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Size in bytes.
    pub len: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

impl Identity {
    /// The identity of the file `meta` describes.
    pub fn of(meta: &fs::Metadata) -> Identity {
        use std::os::unix::fs::MetadataExt;
        let mtime_ns = meta.mtime().saturating_mul(1_000_000_000).saturating_add(meta.mtime_nsec());
        Identity { len: meta.len(), mtime_ns }
    }
}

/// Every setting that changes an output's bytes, and nothing else (not the
/// workers, the limits or the progress bar): what the record keeps a hash of.
#[derive(Serialize)]
struct Settings<'a> {
    target: Target,
    format: OutFormat,
    encode: &'a crate::job::EncodeOptions,
    raw: crate::job::RawMode,
    allow_truncated: bool,
    shrink_on_load: crate::job::ShrinkOnLoad,
    auto_orient: bool,
    upscale: bool,
    background: [u8; 3],
    colour: crate::job::ColourMode,
    keep_metadata: bool,
    strip_gps: bool,
    /// Only where it moves pixels (a `cover` crop placed off the centre):
    /// every other output keeps the key it had before crops could move.
    /// The record is only ever written, so skipping a field is safe.
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<crate::job::Position>,
    /// Only when given: runs without `--target`/`--max-size` keep their keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    goal: Option<crate::job::Goal>,
}

/// The settings key of an output of `job` in `format` at `target`: a hash
/// that is the same in every run and build that would write the same bytes.
pub(crate) fn settings_key(job: &Job, format: OutFormat, target: Target) -> u64 {
    let ImageOptions {
        decode,
        shrink_on_load,
        auto_orient,
        upscale,
        position,
        background,
        colour,
        keep_metadata,
        strip_gps,
        ..
    } = job.image;
    let position = (target.fit == Fit::Cover && position != Position::Centre).then_some(position);
    let settings = Settings {
        target,
        format,
        encode: &job.output.encode,
        raw: decode.raw,
        allow_truncated: decode.allow_truncated,
        shrink_on_load,
        auto_orient,
        upscale,
        background,
        colour,
        keep_metadata,
        strip_gps,
        position,
        goal: Some(job.output.goal).filter(|g| *g != Default::default()),
    };
    // postcard writes fields in order with no padding or map keys: the same
    // settings give the same bytes in every build.
    let bytes = postcard::to_stdvec(&settings).unwrap_or_default();
    XxHash64::oneshot(0, &bytes)
}

/// What made one input's outputs: written to the record with them.
#[derive(Debug, Clone, Default)]
pub struct Stamp {
    /// The input, absolute, for `--delete` to find it gone.
    pub input: PathBuf,
    /// The input as the walker saw it before it was read.
    pub identity: Identity,
    /// Each output's settings key, in the order of the task's outputs.
    pub settings: Vec<u64>,
}

/// What the record says of one output.
#[derive(Debug, Clone, Copy)]
struct Entry {
    settings: u64,
    input: Identity,
    output_len: u64,
}

/// Whether one planned output must be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It is there, made from this input with these settings.
    Fresh,
    /// It is not there, and was never recorded.
    New,
    /// It is there (or was), and is made again for this reason.
    Redo(Redo),
}

/// The record of an output folder, as loaded at the start of a run: about
/// 40 bytes per output, so a folder of a million outputs costs 40 MB.
#[derive(Debug, Default)]
pub struct Ledger {
    out_dir: PathBuf,
    entries: HashMap<u64, Entry>,
}

/// One line of a record file.
struct Line {
    settings: u64,
    input: Identity,
    output_len: u64,
    output: PathBuf,
    source: PathBuf,
}

fn decode_path(field: &[u8]) -> PathBuf {
    PathBuf::from(OsString::from_vec(percent_decode(field).collect()))
}

fn parse(line: &[u8]) -> Option<Line> {
    let line = line.strip_suffix(b"\n")?;
    let mut f = line.split(|&b| b == b'\t');
    let mut number = || std::str::from_utf8(f.next()?).ok().map(str::to_owned);
    let settings = u64::from_str_radix(&number()?, 16).ok()?;
    let len = number()?.parse().ok()?;
    let mtime_ns = number()?.parse().ok()?;
    let output_len = number()?.parse().ok()?;
    let output = decode_path(f.next()?);
    let source = decode_path(f.next()?);
    if f.next().is_some() || output.as_os_str().is_empty() {
        return None;
    }
    Some(Line { settings, input: Identity { len, mtime_ns }, output_len, output, source })
}

/// The key of an output in the record: a hash of its path below `-o`.
fn key(rel: &Path) -> u64 {
    XxHash64::oneshot(0, rel.as_os_str().as_bytes())
}

fn record_dir(out_dir: &Path) -> PathBuf {
    out_dir.join(MARKER)
}

/// The record files of `out_dir`, oldest first (their names start with the
/// time their run started).
fn record_files(out_dir: &Path) -> Vec<PathBuf> {
    let Ok(dir) = fs::read_dir(record_dir(out_dir)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = dir
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    files.sort();
    files
}

/// Calls `f` with each whole line of `path`: its number, its bytes and what
/// they say; a line cut off by a killed run, or one that does not parse, is
/// passed over.
fn each_line(path: &Path, mut f: impl FnMut(usize, &[u8], Line)) -> io::Result<()> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        if let Some(line) = parse(&buf) {
            f(n, &buf, line);
        }
        n += 1;
    }
}

impl Ledger {
    /// The record of `out_dir` (empty when there is none, or for a run that
    /// writes nothing there). An unreadable record file is passed over: its
    /// outputs are made again, which costs time and loses nothing.
    pub fn load(out_dir: &Path) -> Ledger {
        let files = record_files(out_dir);
        // A line is about 140 bytes: sized once, the map never doubles
        // (and never holds its old and new tables at once) while loading.
        let bytes: u64 = files.iter().filter_map(|f| fs::metadata(f).ok()).map(|m| m.len()).sum();
        let mut entries = HashMap::with_capacity((bytes / 120) as usize);
        for file in files {
            let _ = each_line(&file, |_, _, l| {
                entries
                    .insert(key(&l.output), Entry { settings: l.settings, input: l.input, output_len: l.output_len });
            });
        }
        Ledger { out_dir: out_dir.to_path_buf(), entries }
    }

    /// Whether `output` must be made from an input of identity `input` with
    /// settings key `settings`.
    pub(crate) fn verdict(&self, output: &Path, settings: u64, input: Identity) -> Verdict {
        let len = fs::metadata(output).ok().filter(|m| m.is_file()).map(|m| m.len());
        let entry = output.strip_prefix(&self.out_dir).ok().and_then(|rel| self.entries.get(&key(rel)));
        match (len, entry) {
            (None, None) => Verdict::New,
            (None, Some(_)) => Verdict::Redo(Redo::OutputChanged),
            (Some(_), None) => Verdict::Redo(Redo::Unrecorded),
            (Some(_), Some(e)) if e.settings != settings => Verdict::Redo(Redo::SettingsChanged),
            (Some(_), Some(e)) if e.input != input => Verdict::Redo(Redo::InputChanged),
            (Some(len), Some(e)) if e.output_len != len => Verdict::Redo(Redo::OutputChanged),
            _ => Verdict::Fresh,
        }
    }
}

/// Appends this run's lines to its own record file, made at the first one.
#[derive(Debug)]
pub(crate) struct Appender {
    out_dir: PathBuf,
    path: PathBuf,
    file: Option<File>,
}

impl Appender {
    /// The appender of a run into `out_dir`; `tag` (a shard's) goes into the
    /// file's name.
    pub(crate) fn new(out_dir: &Path, tag: Option<String>) -> Appender {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let tag = tag.map(|t| format!("-{t}")).unwrap_or_default();
        let name = format!("{PREFIX}{now:020}-{:010}{tag}{SUFFIX}", std::process::id());
        Appender { out_dir: out_dir.to_path_buf(), path: record_dir(out_dir).join(name), file: None }
    }

    /// Records the outputs of one input, each with its size on disk, in the
    /// order of `stamp.settings`. Called once they are renamed into place,
    /// and written at once (one `write` per input, in append mode): a run
    /// killed with SIGKILL has recorded everything it finished but the file
    /// in hand, and the next run redoes only that.
    pub(crate) fn add(&mut self, stamp: &Stamp, outputs: &[(&Path, u64)]) -> io::Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            none => {
                fs::create_dir_all(record_dir(&self.out_dir))?;
                let mut f = fs::OpenOptions::new().create_new(true).append(true).open(&self.path)?;
                f.write_all(HEADER)?;
                none.insert(f)
            }
        };
        let source = percent_encode(stamp.input.as_os_str().as_bytes(), ESCAPED).to_string();
        let mut lines = Vec::with_capacity(outputs.len() * (source.len() + 96));
        for (&(path, len), settings) in outputs.iter().zip(&stamp.settings) {
            let Ok(rel) = path.strip_prefix(&self.out_dir) else { continue };
            let rel = percent_encode(rel.as_os_str().as_bytes(), ESCAPED);
            let Identity { len: in_len, mtime_ns } = stamp.identity;
            writeln!(lines, "{settings:016x}\t{in_len}\t{mtime_ns}\t{len}\t{rel}\t{source}")?;
        }
        file.write_all(&lines)
    }

    /// Ends the run's record: when `fold`, every record file is folded
    /// into this run's one, without the outputs in `dropped`.
    pub(crate) fn finish(mut self, fold: bool, dropped: &HashSet<PathBuf>) -> io::Result<()> {
        drop(self.file.take());
        if fold { fold_into(&self.out_dir, &self.path, dropped) } else { Ok(()) }
    }
}

/// Folds every record file of `out_dir` into `into` (atomically), keeping
/// each output's last line and none for the outputs in `dropped`, then
/// removes the files folded in. A file that changed meanwhile (a shard
/// still appending) is kept.
fn fold_into(out_dir: &Path, into: &Path, dropped: &HashSet<PathBuf>) -> io::Result<()> {
    let files = record_files(out_dir);
    if files.len() < 2 && dropped.is_empty() {
        return Ok(());
    }
    let stamp = |p: &Path| fs::metadata(p).ok().map(|m| (m.len(), m.modified().ok()));
    let seen: Vec<_> = files.iter().map(|f| stamp(f)).collect();
    let dropped: HashSet<u64> = dropped.iter().filter_map(|p| p.strip_prefix(out_dir).ok()).map(key).collect();
    // Where each output's last line is: file and line number.
    let mut last: HashMap<u64, (usize, usize)> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        each_line(file, |n, _, l| {
            last.insert(key(&l.output), (i, n));
        })?;
    }
    last.retain(|k, _| !dropped.contains(k));
    let mut tmp = tempfile::Builder::new()
        .prefix(".fold-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(record_dir(out_dir))?;
    {
        let mut w = BufWriter::new(tmp.as_file_mut());
        w.write_all(HEADER)?;
        for (i, file) in files.iter().enumerate() {
            let mut written = Ok(());
            each_line(file, |n, raw, l| {
                if written.is_ok() && last.get(&key(&l.output)) == Some(&(i, n)) {
                    written = w.write_all(raw);
                }
            })?;
            written?;
        }
        w.flush()?;
    }
    tmp.persist(into).map_err(|e| e.error)?;
    for (file, seen) in files.iter().zip(seen) {
        if file != into && stamp(file) == seen {
            fs::remove_file(file)?;
        }
    }
    Ok(())
}

/// An output the record says imgbatch wrote, whose input is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stale {
    /// The output's path (under `-o`).
    pub output: PathBuf,
    /// Whether it is still there as imgbatch wrote it (else only its line
    /// is dropped: a file of that name that is not ours is never removed).
    pub present: bool,
}

/// The outputs in `out_dir`'s record whose input, among those `owns` says
/// are this run's, no longer exists.
pub(crate) fn stale(out_dir: &Path, owns: impl Fn(&Path) -> bool) -> io::Result<Vec<Stale>> {
    let mut gone: HashMap<u64, (PathBuf, u64)> = HashMap::new();
    for file in record_files(out_dir) {
        each_line(&file, |_, _, l| {
            let k = key(&l.output);
            let missing = || matches!(fs::symlink_metadata(&l.source), Err(e) if e.kind() == io::ErrorKind::NotFound);
            if owns(&l.source) && missing() {
                gone.insert(k, (l.output, l.output_len));
            } else {
                gone.remove(&k);
            }
        })?;
    }
    let mut stale: Vec<Stale> = gone
        .into_values()
        .map(|(rel, len)| {
            let output = out_dir.join(rel);
            // Not through a link: lstat, and only a regular file of the size written.
            let present = fs::symlink_metadata(&output).is_ok_and(|m| m.file_type().is_file() && m.len() == len);
            Stale { output, present }
        })
        .collect();
    stale.sort_by(|a, b| a.output.cmp(&b.output));
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Fit, Operation};

    fn stamp(input: &Path, settings: u64) -> Stamp {
        let identity = Identity::of(&fs::metadata(input).unwrap());
        Stamp { input: input.to_path_buf(), identity, settings: vec![settings] }
    }

    #[test]
    fn settings_keys_change_with_what_changes_the_bytes_and_nothing_else() {
        let target = Target { width: Some(256), height: Some(256), fit: Fit::Inside };
        let job = Job::new(vec!["in".into()], "out".into(), Operation::Resize(target));
        let k = settings_key(&job, OutFormat::Jpeg, target);
        assert_eq!(k, settings_key(&job.clone(), OutFormat::Jpeg, target), "stable");
        let mut other = job.clone();
        other.resources.workers += 3;
        other.output.force = true;
        assert_eq!(k, settings_key(&other, OutFormat::Jpeg, target), "workers and --force change no byte");
        let mut q = job.clone();
        q.output.encode.quality -= 1;
        assert_ne!(k, settings_key(&q, OutFormat::Jpeg, target));
        assert_ne!(k, settings_key(&job, OutFormat::Png, target));
        assert_ne!(k, settings_key(&job, OutFormat::Jpeg, Target { fit: Fit::Cover, ..target }));
        let mut meta = job.clone();
        meta.image.keep_metadata = true;
        assert_ne!(k, settings_key(&meta, OutFormat::Jpeg, target));
        // Where a crop is placed changes a cover output, and nothing else.
        let mut smart = job.clone();
        smart.image.position = Position::Attention;
        assert_eq!(k, settings_key(&smart, OutFormat::Jpeg, target));
        let cover = Target { fit: Fit::Cover, ..target };
        assert_ne!(settings_key(&job, OutFormat::Jpeg, cover), settings_key(&smart, OutFormat::Jpeg, cover));
    }

    #[test]
    fn a_record_tells_fresh_from_changed_and_survives_odd_names() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let input = dir.path().join("in.jpg");
        fs::write(&input, b"photo").unwrap();
        // A name with a tab, a newline and a percent sign.
        let odd = out.join("a\tb\nc%25.jpg");
        let plain = out.join("sub/p.jpg");
        fs::create_dir_all(out.join("sub")).unwrap();
        fs::write(&odd, b"thumb").unwrap();
        fs::write(&plain, b"thumb").unwrap();
        let mut a = Appender::new(&out, None);
        a.add(&stamp(&input, 7), &[(&odd, 5)]).unwrap();
        a.add(&stamp(&input, 7), &[(&plain, 5)]).unwrap();
        a.finish(true, &HashSet::new()).unwrap();
        let id = Identity::of(&fs::metadata(&input).unwrap());
        let ledger = Ledger::load(&out);
        assert_eq!(ledger.verdict(&odd, 7, id), Verdict::Fresh);
        assert_eq!(ledger.verdict(&plain, 8, id), Verdict::Redo(Redo::SettingsChanged));
        let touched = Identity { mtime_ns: id.mtime_ns + 1, ..id };
        assert_eq!(ledger.verdict(&plain, 7, touched), Verdict::Redo(Redo::InputChanged));
        fs::write(&plain, b"edited by hand").unwrap();
        assert_eq!(ledger.verdict(&plain, 7, id), Verdict::Redo(Redo::OutputChanged));
        assert_eq!(ledger.verdict(&out.join("new.jpg"), 7, id), Verdict::New);
        fs::write(out.join("foreign.jpg"), b"x").unwrap();
        assert_eq!(ledger.verdict(&out.join("foreign.jpg"), 7, id), Verdict::Redo(Redo::Unrecorded));
    }

    #[test]
    fn shards_keep_their_own_files_and_a_later_run_folds_them_into_one() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let input = dir.path().join("in.jpg");
        fs::write(&input, b"photo").unwrap();
        fs::create_dir_all(&out).unwrap();
        let outs: Vec<PathBuf> = (0..4).map(|i| out.join(format!("{i}.jpg"))).collect();
        for o in &outs {
            fs::write(o, b"thumb").unwrap();
        }
        for (i, o) in outs.iter().enumerate() {
            let mut a = Appender::new(&out, Some(format!("shard-{i}-of-4")));
            a.add(&stamp(&input, 1), &[(o, 5)]).unwrap();
            a.finish(false, &HashSet::new()).unwrap();
        }
        assert_eq!(record_files(&out).len(), 4);
        // A later run re-records 0.jpg with other settings; 3.jpg is dropped.
        let mut a = Appender::new(&out, None);
        a.add(&stamp(&input, 2), &[(&outs[0], 5)]).unwrap();
        a.finish(true, &HashSet::from([outs[3].clone()])).unwrap();
        let files = record_files(&out);
        assert_eq!(files.len(), 1, "{files:?}");
        let text = fs::read_to_string(&files[0]).unwrap();
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 3, "{text}");
        let id = Identity::of(&fs::metadata(&input).unwrap());
        let ledger = Ledger::load(&out);
        assert_eq!(ledger.verdict(&outs[0], 2, id), Verdict::Fresh, "the later line won");
        assert_eq!(ledger.verdict(&outs[1], 1, id), Verdict::Fresh);
        assert_eq!(ledger.verdict(&outs[3], 1, id), Verdict::Redo(Redo::Unrecorded));
    }

    #[test]
    fn a_line_cut_off_by_a_killed_run_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(record_dir(&out)).unwrap();
        fs::write(out.join("a.jpg"), b"thumb").unwrap();
        let cut = "0000000000000001\t5\t0\t5\ta.jpg\t/photos/a.j";
        fs::write(record_dir(&out).join("run-1-1.tsv"), cut).unwrap();
        assert!(Ledger::load(&out).entries.is_empty());
        assert!(stale(&out, |_| true).unwrap().is_empty(), "a cut-off input path is never taken as gone");
    }

    #[test]
    fn stale_outputs_are_those_whose_input_is_gone_and_still_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(&out).unwrap();
        let (kept, gone, changed) =
            (dir.path().join("kept.jpg"), dir.path().join("gone.jpg"), dir.path().join("c.jpg"));
        for f in [&kept, &gone, &changed] {
            fs::write(f, b"photo").unwrap();
        }
        let outs: Vec<PathBuf> = ["kept_1.jpg", "gone_1.jpg", "c_1.jpg"].iter().map(|n| out.join(n)).collect();
        for o in &outs {
            fs::write(o, b"thumb").unwrap();
        }
        let mut a = Appender::new(&out, None);
        for (input, o) in [&kept, &gone, &changed].iter().zip(&outs) {
            a.add(&stamp(input, 1), &[(o, 5)]).unwrap();
        }
        a.finish(true, &HashSet::new()).unwrap();
        fs::remove_file(&gone).unwrap();
        fs::remove_file(&changed).unwrap();
        // Replaced by another program: no longer the file imgbatch wrote.
        fs::write(&outs[2], b"someone else's").unwrap();
        let found = stale(&out, |_| true).unwrap();
        let want =
            vec![Stale { output: outs[2].clone(), present: false }, Stale { output: outs[1].clone(), present: true }];
        assert_eq!(found, want);
        assert!(stale(&out, |p| p != gone && p != changed).unwrap().is_empty(), "only this run's inputs");
    }
}
