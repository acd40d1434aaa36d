//! Per-file outcomes, the run summary, the JSON report and the exit status.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::FileError;
pub use crate::stages::StageTimes;
pub use crate::units::human_bytes;

/// Final status of one input in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// All outputs written.
    Ok,
    /// All outputs already up to date.
    Skipped,
    /// No output.
    Failed,
    /// Still being processed when the run was interrupted; no output.
    Interrupted,
    /// One member of a shot saved in several formats (a RAW beside its
    /// JPEG); another member made the outputs (`paired_with`).
    Paired,
}

/// A crop as the report gives it: whole pixels of the oriented source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CropBox {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// What the quality search of one output chose (`--target`, `--max-size`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chosen {
    /// The encoder quality written.
    pub quality: u8,
    /// Its SSIMULACRA2 score against the pixels before encoding.
    pub score: Option<f64>,
    /// The size the fixed default quality would have written.
    pub default_bytes: u64,
    /// Encodes the search made.
    pub encodes: u32,
    /// When the goal was not met as asked: why, and what was done. Always
    /// written: this travels from worker processes, whose frames (postcard)
    /// cannot skip a field.
    pub note: Option<String>,
}

/// One output file in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Output path.
    pub path: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// File size in bytes.
    pub bytes: u64,
    /// The region of the oriented source that a `cover` fit kept (not
    /// given for outputs already up to date, nor in a dry run that would
    /// need the pixels to place it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub crop: Option<CropBox>,
    /// The quality searched for it and what it gave.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub chosen: Option<Chosen>,
}

/// One input in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    /// The path as the walker found it (bytes that are not UTF-8 replaced by U+FFFD).
    pub input: String,
    /// The path's exact bytes, base64, when it is not UTF-8: two names that
    /// differ only in such bytes share an `input` but never this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_bytes: Option<String>,
    /// How it ended.
    pub status: Status,
    /// Outputs written (or planned, in a dry run).
    pub outputs: Vec<OutputRecord>,
    /// Why it failed.
    pub error: Option<String>,
    /// Something to know although it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The member of its shot that made the outputs, when `status` is `paired`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub paired_with: Option<String>,
    /// Why outputs that were already there were made again.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub redone: Option<Redo>,
    /// Milliseconds of worker time.
    pub ms: u64,
}

impl FileRecord {
    /// The record of `input`, with no outputs yet.
    pub fn new(input: &Path, status: Status, ms: u64) -> Self {
        FileRecord {
            input: input.to_string_lossy().into_owned(),
            input_bytes: exact_bytes(input),
            status,
            outputs: vec![],
            error: None,
            warning: None,
            paired_with: None,
            redone: None,
            ms,
        }
    }

    /// The record of an input that produced no output.
    pub fn failed(input: &Path, error: &FileError, ms: u64) -> Self {
        FileRecord { error: Some(error.to_string()), ..FileRecord::new(input, Status::Failed, ms) }
    }
}

/// A path's bytes as base64 when they are not UTF-8; `None` when the path
/// prints as it is.
pub(crate) fn exact_bytes(path: &Path) -> Option<String> {
    use base64::Engine;
    use std::os::unix::ffi::OsStrExt;
    path.to_str().is_none().then(|| base64::engine::general_purpose::STANDARD.encode(path.as_os_str().as_bytes()))
}

/// Why an output that is already there is made again. The order is the
/// order of precedence when an input's outputs differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redo {
    /// A setting that changes its bytes is not what made it.
    SettingsChanged,
    /// The input's size or modification time changed.
    InputChanged,
    /// The output is gone, or is not the file imgbatch wrote.
    OutputChanged,
    /// No record says what made it (an older imgbatch, or another program).
    Unrecorded,
    /// `--force`.
    Forced,
}

impl Redo {
    /// How the summary says it.
    pub fn describe(self) -> &'static str {
        match self {
            Redo::SettingsChanged => "settings changed",
            Redo::InputChanged => "input changed",
            Redo::OutputChanged => "output changed or missing",
            Redo::Unrecorded => "no record of its settings",
            Redo::Forced => "--force",
        }
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Inputs seen.
    pub total: u64,
    /// Inputs fully processed.
    pub ok: u64,
    /// Inputs already up to date.
    pub skipped: u64,
    /// Of the inputs processed, those whose outputs were there but out of
    /// date, by the reason (settings changed, input changed, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub redone: BTreeMap<Redo, u64>,
    /// Outputs of inputs that are gone, deleted (`--delete`; or that would
    /// be, in a dry run).
    #[serde(default)]
    pub deleted: u64,
    /// Inputs that failed.
    pub failed: u64,
    /// Inputs still in progress when the run was interrupted.
    pub interrupted: u64,
    /// Members of shots saved in several formats that another member made
    /// the outputs of (`--pairs`).
    #[serde(default)]
    pub paired: u64,
    /// Wall time of the run, seconds.
    pub elapsed_s: f64,
    /// When the run started, seconds since the Unix epoch: lets
    /// `report merge` give the wall span of runs on several machines.
    #[serde(default)]
    pub started_unix_s: f64,
    /// Megapixels decoded.
    pub input_megapixels: f64,
    /// Bytes written (or that would be, in a dry run).
    pub output_bytes: u64,
    /// Output files written (or planned, in a dry run).
    pub output_files: u64,
    /// Of the outputs whose quality was searched (`--target`,
    /// `--max-size`): the bytes they took…
    #[serde(default, skip_serializing_if = "is_zero")]
    pub searched_bytes: u64,
    /// …and the bytes the fixed default quality would have written for
    /// them: the difference is what the search saved.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub default_bytes: u64,
    /// Where the time went.
    pub stages: StageTimes,
    /// Files under the inputs that are not images (not in `total`).
    pub not_images: u64,
    /// Those files by kind (`.MOV`, `.AAE`, `.DS_Store`, `no extension`).
    pub not_image_kinds: BTreeMap<String, u64>,
    /// Hidden files and folders not walked (no `--hidden`).
    pub hidden_ignored: u64,
    /// Symbolic links not followed (no `--follow`).
    pub links_ignored: u64,
    /// This run's shard (`"2/4"`) when the job was split with `--shard`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// A file the walk found that is not an image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OtherFile {
    /// The path as the walker found it.
    pub input: String,
    /// Its exact bytes, base64, when it is not UTF-8 (as in [`FileRecord`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_bytes: Option<String>,
    /// Its kind, as counted in the summary.
    pub kind: String,
}

/// Everything a run did; serialised as the JSON report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// Totals.
    pub summary: Summary,
    /// One entry per input.
    pub files: Vec<FileRecord>,
    /// Files under the inputs that are not images, left alone.
    pub not_images: Vec<OtherFile>,
    /// Outputs deleted because their input is gone (`--delete`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
    /// Whether the run was stopped by a signal before the end.
    pub interrupted: bool,
    /// Why the run stopped early on its own (e.g. every write failing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Process exit status, merged over the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing failed (skips are fine).
    Success = 0,
    /// At least one file failed.
    SomeFailed = 1,
    /// Usage or setup error, or the run had to stop (every write failing).
    Usage = 2,
    /// Stopped by SIGINT/SIGTERM.
    Interrupted = 130,
}

impl Report {
    /// Adds one input's record and updates the totals.
    pub fn record(&mut self, rec: FileRecord, input_pixels: u64) {
        let s = &mut self.summary;
        s.total += 1;
        match rec.status {
            Status::Ok => s.ok += 1,
            Status::Skipped => s.skipped += 1,
            Status::Failed => s.failed += 1,
            Status::Interrupted => s.interrupted += 1,
            Status::Paired => s.paired += 1,
        }
        s.input_megapixels += input_pixels as f64 / 1e6;
        if let (Status::Ok, Some(why)) = (rec.status, rec.redone) {
            *s.redone.entry(why).or_default() += 1;
        }
        if rec.status == Status::Ok {
            s.output_bytes += rec.outputs.iter().map(|o| o.bytes).sum::<u64>();
            for (o, c) in rec.outputs.iter().filter_map(|o| o.chosen.as_ref().map(|c| (o, c))) {
                s.searched_bytes += o.bytes;
                s.default_bytes += c.default_bytes;
            }
            s.output_files += rec.outputs.len() as u64;
        }
        self.files.push(rec);
    }

    /// Counts an output deleted because its input is gone.
    pub fn deleted(&mut self, output: &Path) {
        self.summary.deleted += 1;
        self.deleted.push(output.to_string_lossy().into_owned());
    }

    /// `12 redone: settings changed` (`12 redone: 10 settings changed, 2
    /// input changed` when the reasons differ); `None` when nothing was.
    pub(crate) fn redone_text(&self) -> Option<String> {
        let r = &self.summary.redone;
        let n: u64 = r.values().sum();
        match r.len() {
            0 => None,
            1 => r.keys().next().map(|why| format!("{n} redone: {}", why.describe())),
            _ => {
                let parts: Vec<String> = r.iter().map(|(why, k)| format!("{k} {}", why.describe())).collect();
                Some(format!("{n} redone: {}", parts.join(", ")))
            }
        }
    }

    /// Counts a file that is not an image.
    pub fn not_image(&mut self, input: &Path, kind: String) {
        self.summary.not_images += 1;
        *self.summary.not_image_kinds.entry(kind.clone()).or_default() += 1;
        let (input, input_bytes) = (input.to_string_lossy().into_owned(), exact_bytes(input));
        self.not_images.push(OtherFile { input, input_bytes, kind });
    }

    /// `12 other files not images (8 .MOV, 3 .AAE, 1 .xmp)`: kinds by count,
    /// most common first; `None` when every file was an image.
    pub(crate) fn not_images_text(&self) -> Option<String> {
        let s = &self.summary;
        if s.not_images == 0 {
            return None;
        }
        let mut kinds: Vec<(&String, &u64)> = s.not_image_kinds.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        const SHOWN: usize = 6;
        let mut parts: Vec<String> = kinds.iter().take(SHOWN).map(|(k, n)| format!("{n} {k}")).collect();
        if kinds.len() > SHOWN {
            let rest: u64 = kinds[SHOWN..].iter().map(|(_, n)| **n).sum();
            parts.push(format!("{rest} more"));
        }
        let files = if s.not_images == 1 { "file" } else { "files" };
        let other = if s.total == 0 { "" } else { "other " };
        Some(format!("{} {other}{files} not images ({})", s.not_images, parts.join(", ")))
    }

    /// When the run found no image at all: what it says, naming what it found.
    pub fn no_images_line(&self, inputs: &[PathBuf]) -> Option<String> {
        if self.summary.total > 0 || self.interrupted {
            return None;
        }
        let under: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        let mut found = vec![];
        if let Some(t) = self.not_images_text() {
            found.push(t);
        }
        if self.summary.hidden_ignored > 0 {
            found.push(format!("{} hidden (--hidden walks them)", self.summary.hidden_ignored));
        }
        if self.summary.links_ignored > 0 {
            found.push(format!("{} symbolic links (--follow follows them)", self.summary.links_ignored));
        }
        let found = if found.is_empty() { "no files at all".into() } else { found.join("; ") };
        Some(format!("no images found under {}: found {found}", under.join(", ")))
    }

    /// The exit status this run deserves.
    pub fn exit_status(&self) -> ExitStatus {
        if self.interrupted {
            ExitStatus::Interrupted
        } else if self.stopped.is_some() {
            ExitStatus::Usage
        } else if self.summary.failed > 0 {
            ExitStatus::SomeFailed
        } else {
            ExitStatus::Success
        }
    }

    /// The JSON report.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Writes the JSON report atomically.
    pub fn write_json(&self, path: &Path) -> std::io::Result<()> {
        let mut json = self.to_json();
        json.push('\n');
        crate::output::write_atomic(path, json.as_bytes())
    }

    /// The one-line human summary printed at the end: what happened, where
    /// the outputs went and how many, the time, and what was left alone.
    pub fn summary_line(&self, what: &str, dry_run: bool, out_dir: &Path) -> String {
        let s = &self.summary;
        let files = if s.output_files == 1 { "file" } else { "files" };
        let out = out_dir.display().to_string();
        let out = out.trim_end_matches('/');
        let outputs = if dry_run {
            format!("would write {} {files} to {out}/", s.output_files)
        } else {
            format!("→ {out}/ ({} {files}, {})", s.output_files, human_bytes(s.output_bytes))
        };
        // What --target/--max-size saved (or cost) against the fixed default quality.
        let outputs = match s.default_bytes {
            0 => outputs,
            d if d >= s.searched_bytes => {
                let saved = d - s.searched_bytes;
                format!("{outputs} · {} saved ({:.0} %)", human_bytes(saved), saved as f64 * 100.0 / d as f64)
            }
            d => format!("{outputs} · {} more than the default quality", human_bytes(s.searched_bytes - d)),
        };
        // A rate over one file, or over a time that prints as 0.00 s, says nothing.
        let handled = s.ok + s.failed;
        let rate = if handled >= 2 && s.elapsed_s >= 0.01 {
            format!(" · {:.1} files/s", handled as f64 / s.elapsed_s)
        } else {
            String::new()
        };
        let mut ignored = String::new();
        if let Some(t) = self.not_images_text() {
            ignored += &format!(" · {t}");
        }
        if s.hidden_ignored > 0 {
            ignored += &format!(" · {} hidden not walked (--hidden)", s.hidden_ignored);
        }
        if s.links_ignored > 0 {
            let links = if s.links_ignored == 1 { "link" } else { "links" };
            ignored += &format!(" · {} {links} not followed (--follow)", s.links_ignored);
        }
        if s.paired > 0 {
            ignored += &format!(" · {} paired (RAW+JPEG shots: one output set each, --pairs)", s.paired);
        }
        let redone = self.redone_text().map(|t| format!(" ({t})")).unwrap_or_default();
        if s.deleted > 0 {
            let outputs = if s.deleted == 1 { "output" } else { "outputs" };
            let verb = if dry_run { "would delete" } else { "deleted" };
            ignored += &format!(" · {verb} {} stale {outputs} (input gone)", s.deleted);
        }
        let end = if self.interrupted && s.interrupted > 0 {
            format!(" · interrupted ({} in progress left unfinished)", s.interrupted)
        } else if self.interrupted {
            " · interrupted".into()
        } else if self.stopped.is_some() {
            " · stopped early".into()
        } else {
            String::new()
        };
        let what = match &s.shard {
            Some(k) => format!("{what} (shard {k})"),
            None => what.to_string(),
        };
        format!(
            "{what}: {} ok{redone}, {} skipped, {} failed · {:.1} MP in · {outputs} · {:.2} s{rate}{ignored}{end}",
            s.ok, s.skipped, s.failed, s.input_megapixels, s.elapsed_s,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(status: Status, bytes: u64) -> FileRecord {
        let outputs = vec![OutputRecord { path: "o".into(), width: 1, height: 1, bytes, crop: None, chosen: None }];
        FileRecord { outputs, ..FileRecord::new(Path::new("i"), status, 1) }
    }

    #[test]
    fn totals_and_exit_status_follow_the_records() {
        let mut r = Report::default();
        r.record(rec(Status::Ok, 100), 2_000_000);
        r.record(rec(Status::Skipped, 0), 0);
        assert_eq!(r.exit_status(), ExitStatus::Success);
        r.record(rec(Status::Failed, 0), 0);
        assert_eq!((r.summary.total, r.summary.ok, r.summary.failed), (3, 1, 1));
        assert_eq!(r.summary.output_bytes, 100);
        assert_eq!(r.summary.input_megapixels, 2.0);
        assert_eq!(r.exit_status(), ExitStatus::SomeFailed);
        r.interrupted = true;
        assert_eq!(r.exit_status(), ExitStatus::Interrupted);
    }

    #[test]
    fn json_has_the_documented_shape() {
        let mut r = Report::default();
        r.record(rec(Status::Ok, 5), 0);
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        for k in ["total", "ok", "skipped", "failed", "elapsed_s", "input_megapixels", "output_bytes"] {
            assert!(v["summary"].get(k).is_some(), "{k}");
        }
        assert_eq!(v["files"][0]["status"], "ok");
        assert_eq!(v["files"][0]["outputs"][0]["bytes"], 5);
        assert!(v["files"][0]["error"].is_null());
    }

    #[test]
    fn non_images_are_counted_by_kind_most_common_first() {
        let mut r = Report::default();
        assert!(r.not_images_text().is_none());
        for (i, k) in [".MOV", ".AAE", ".MOV", ".xmp", ".MOV", ".AAE"].iter().enumerate() {
            r.not_image(Path::new(&format!("f{i}")), k.to_string());
        }
        assert_eq!(r.not_images_text().as_deref(), Some("6 files not images (3 .MOV, 2 .AAE, 1 .xmp)"));
        let none = r.no_images_line(&["phone".into()]);
        assert_eq!(
            none.as_deref(),
            Some("no images found under phone: found 6 files not images (3 .MOV, 2 .AAE, 1 .xmp)")
        );
        r.record(rec(Status::Ok, 1), 0);
        assert!(r.no_images_line(&["phone".into()]).is_none());
        let line = r.summary_line("thumbs", false, Path::new("out"));
        assert!(line.contains(" · 6 other files not images (3 .MOV, 2 .AAE, 1 .xmp)"), "{line}");
        assert_eq!(r.summary.total, 1);
    }

    #[test]
    fn summary_says_where_outputs_went_and_no_rate_over_nothing() {
        let mut r = Report::default();
        r.record(rec(Status::Ok, 2048), 0);
        r.summary.elapsed_s = 0.001;
        let line = r.summary_line("thumbs", false, Path::new("out"));
        assert!(line.contains(" · → out/ (1 file, 2.0 KiB) · 0.00 s"), "{line}");
        assert!(!line.contains("files/s"), "{line}");
        r.record(rec(Status::Ok, 2048), 0);
        r.summary.elapsed_s = 0.5;
        let line = r.summary_line("thumbs", false, Path::new("out"));
        assert!(line.ends_with("→ out/ (2 files, 4.0 KiB) · 0.50 s · 4.0 files/s"), "{line}");
        let dry = r.summary_line("thumbs", true, Path::new("out"));
        assert!(dry.contains(" · would write 2 files to out/ · "), "{dry}");
    }
}
