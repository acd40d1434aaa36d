//! The run's side of the output folder's record (see `crate::ledger`): the
//! writer adds each input's outputs once they are in place, and at the end
//! of the run `--delete` removes the outputs of inputs that are gone and the
//! record is folded into one file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::job::{Job, OutputMode};
use crate::ledger::{self, Appender, Stamp};
use crate::observer::Observer;
use crate::report::Report;

/// The record as this run keeps it.
pub(super) struct Record {
    /// This run's record file (a run that writes outputs).
    appender: Option<Appender>,
    /// Why the record could not be written, once told.
    failed: bool,
}

impl Record {
    pub(super) fn for_job(job: &Job) -> Record {
        let tag = job.select.shard.map(|s| format!("shard-{}-of-{}", s.index, s.count));
        let appender = (job.output.mode == OutputMode::Write).then(|| Appender::new(&job.output.dir, tag));
        Record { appender, failed: false }
    }

    /// Records one input's outputs, in place on disk with these sizes.
    pub(super) fn add(&mut self, stamp: &Stamp, outputs: &[(&Path, u64)], observer: &mut dyn Observer) {
        let Some(a) = &mut self.appender else { return };
        let result = a.add(stamp, outputs);
        self.check(result, observer);
    }

    fn check(&mut self, result: std::io::Result<()>, observer: &mut dyn Observer) {
        if let Err(e) = result
            && !std::mem::replace(&mut self.failed, true)
        {
            observer.warning(&format!(
                "could not write the record of outputs in {}: {e} (the next run makes these outputs again)",
                crate::output::MARKER
            ));
        }
    }

    /// The end of the run: with `--delete`, the outputs of inputs that are
    /// gone are removed (listed in a dry run); then the record is folded
    /// into one file unless this is a shard (shards never touch each
    /// other's files). Nothing is deleted after Ctrl-C or a stop.
    pub(super) fn finish(self, job: &Job, stopped: bool, report: &mut Report, observer: &mut dyn Observer) {
        let mut dropped = HashSet::new();
        let dry = job.output.mode != OutputMode::Write;
        if job.output.delete && !stopped && job.output.mode != OutputMode::Discard {
            match ledger::stale(&job.output.dir, owner(job)) {
                Ok(stale) => {
                    for s in stale {
                        if s.present && !dry {
                            if let Err(e) = std::fs::remove_file(&s.output) {
                                observer.warning(&format!("could not delete {}: {e}", s.output.display()));
                                continue;
                            }
                            remove_empty_parents(&s.output, &job.output.dir);
                        }
                        if s.present {
                            // A dry run's list goes to stdout, which `--json` keeps for the report.
                            if !dry || job.output.mode == (OutputMode::DryRun { list: true }) {
                                observer.deleted(&s.output, dry);
                            }
                            report.deleted(&s.output);
                        }
                        dropped.insert(s.output);
                    }
                }
                Err(e) => observer.warning(&format!("--delete: could not read the record of outputs: {e}")),
            }
        }
        let Some(appender) = self.appender else { return };
        let fold = job.select.shard.is_none();
        if let Err(e) = appender.finish(fold, &dropped) {
            observer.warning(&format!("could not write the record of outputs in {}: {e}", crate::output::MARKER));
        }
    }
}

/// Whether an input (absolute) is one of this run's: under one of its input
/// folders (or one of its files), and this shard's.
fn owner(job: &Job) -> impl Fn(&Path) -> bool + '_ {
    let roots: Vec<(PathBuf, bool)> =
        job.inputs.iter().filter_map(|r| Some((std::path::absolute(r).ok()?, r.is_dir()))).collect();
    move |input: &Path| {
        roots.iter().any(|(root, is_dir)| {
            let rel = match input.strip_prefix(root) {
                Ok(rel) if *is_dir => rel.to_path_buf(),
                Ok(rel) if rel.as_os_str().is_empty() => root.file_name().map_or_else(PathBuf::new, PathBuf::from),
                _ => return false,
            };
            job.select.shard.is_none_or(|s| s.owns(&rel))
        })
    }
}

/// Removes the folders `file` leaves empty, up to (not including) `top`, as
/// `rsync --delete` leaves no empty folder for a deleted one.
fn remove_empty_parents(file: &Path, top: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == top || !d.starts_with(top) || std::fs::remove_dir(d).is_err() {
            return;
        }
        dir = d.parent();
    }
}
