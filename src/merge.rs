//! `imgbatch report merge`: the reports of a job split with `--shard` (or
//! run piecewise any other way) made into the report of one run.

use std::path::{Path, PathBuf};

use crate::report::Report;

/// Why reports could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A report file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The report.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is not an imgbatch report.
    #[error("{} is not an imgbatch JSON report: {source}", path.display())]
    Parse {
        /// The report.
        path: PathBuf,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// The same input is in more than one report: the runs overlapped, so
    /// the merged counts would be wrong.
    #[error("{} input(s) in more than one report, e.g. {}", .0.len(), .0.iter().take(3).map(String::as_str).collect::<Vec<_>>().join(", "))]
    Duplicates(Vec<String>),
    /// A summed count does not fit its type: the reports are not real.
    #[error("the merged {0} count overflows")]
    Overflow(&'static str),
}

/// The key two records of one input share: its exact bytes (a name that is
/// not UTF-8 is exact only in `input_bytes`), spelled one way (`./a`,
/// `a//b` and `a/./b` are `a` and `a/b`).
fn input_key(input: &str, exact: Option<&str>) -> Vec<u8> {
    use base64::Engine;
    let raw = exact
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_else(|| input.as_bytes().to_vec());
    let parts: Vec<&[u8]> = raw.split(|&b| b == b'/').filter(|p| !p.is_empty() && *p != b".").collect();
    let key = parts.join(&b'/');
    if raw.starts_with(b"/") { [b"/".as_slice(), &key].concat() } else { key }
}

/// `a + b`, or the error naming `what` when it does not fit.
fn add(a: u64, b: u64, what: &'static str) -> Result<u64, MergeError> {
    a.checked_add(b).ok_or(MergeError::Overflow(what))
}

/// Reads and merges the reports at `paths`.
pub fn merge_files(paths: &[PathBuf]) -> Result<Report, MergeError> {
    let read = |path: &Path| -> Result<Report, MergeError> {
        let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read { path: path.into(), source })?;
        serde_json::from_str(&text).map_err(|source| MergeError::Parse { path: path.into(), source })
    };
    merge(paths.iter().map(|p| read(p)).collect::<Result<Vec<_>, _>>()?)
}

/// One report for the whole run: files sorted, counts summed, the elapsed
/// time the wall span from the first start to the last end, interrupted or
/// stopped if any part was. Walk-wide counts (hidden files, links) are the
/// same in every shard and are taken once.
pub fn merge(reports: Vec<Report>) -> Result<Report, MergeError> {
    let mut all = Report::default();
    let (mut first, mut last, mut longest) = (f64::INFINITY, 0.0f64, 0.0f64);
    for r in reports {
        let (s, m) = (r.summary, &mut all.summary);
        m.total = add(m.total, s.total, "total")?;
        m.ok = add(m.ok, s.ok, "ok")?;
        m.skipped = add(m.skipped, s.skipped, "skipped")?;
        m.failed = add(m.failed, s.failed, "failed")?;
        m.interrupted = add(m.interrupted, s.interrupted, "interrupted")?;
        m.paired = add(m.paired, s.paired, "paired")?;
        m.input_megapixels += s.input_megapixels;
        m.output_bytes = add(m.output_bytes, s.output_bytes, "output_bytes")?;
        m.output_files = add(m.output_files, s.output_files, "output_files")?;
        m.searched_bytes = add(m.searched_bytes, s.searched_bytes, "searched_bytes")?;
        m.default_bytes = add(m.default_bytes, s.default_bytes, "default_bytes")?;
        m.stages.add(&s.stages);
        m.deleted = add(m.deleted, s.deleted, "deleted")?;
        for (why, n) in s.redone {
            let count = m.redone.entry(why).or_default();
            *count = add(*count, n, "redone")?;
        }
        m.not_images = add(m.not_images, s.not_images, "not_images")?;
        for (kind, n) in s.not_image_kinds {
            let count = m.not_image_kinds.entry(kind).or_default();
            *count = add(*count, n, "not_image_kinds")?;
        }
        m.hidden_ignored = m.hidden_ignored.max(s.hidden_ignored);
        m.links_ignored = m.links_ignored.max(s.links_ignored);
        longest = longest.max(s.elapsed_s);
        if s.started_unix_s > 0.0 {
            first = first.min(s.started_unix_s);
            last = last.max(s.started_unix_s + s.elapsed_s);
        }
        all.files.extend(r.files);
        all.not_images.extend(r.not_images);
        all.deleted.extend(r.deleted);
        all.interrupted |= r.interrupted;
        all.stopped = all.stopped.or(r.stopped);
    }
    // Reports from before start times were recorded: the longest part.
    (all.summary.elapsed_s, all.summary.started_unix_s) =
        if first.is_finite() { ((last - first).max(longest), first) } else { (longest, 0.0) };
    all.files.sort_by(|a, b| a.input.cmp(&b.input));
    all.not_images.sort_by(|a, b| a.input.cmp(&b.input));
    let files = all.files.iter().map(|f| (input_key(&f.input, f.input_bytes.as_deref()), &f.input));
    let others = all.not_images.iter().map(|f| (input_key(&f.input, f.input_bytes.as_deref()), &f.input));
    let mut sorted: Vec<(Vec<u8>, &String)> = files.chain(others).collect();
    sorted.sort();
    let mut twice: Vec<String> = sorted.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| w[0].1.clone()).collect();
    twice.dedup();
    if !twice.is_empty() {
        return Err(MergeError::Duplicates(twice));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FileRecord, Status};

    fn part(files: &[(&str, Status)], started: f64, elapsed: f64) -> Report {
        let mut r = Report::default();
        for (name, status) in files {
            r.record(FileRecord::new(Path::new(name), *status, 1), 1_000_000);
        }
        r.summary.started_unix_s = started;
        r.summary.elapsed_s = elapsed;
        r
    }

    #[test]
    fn the_bytes_a_quality_search_saved_add_up() {
        let (mut a, mut b) = (part(&[], 0.0, 1.0), part(&[], 0.0, 1.0));
        (a.summary.searched_bytes, a.summary.default_bytes) = (60, 100);
        (b.summary.searched_bytes, b.summary.default_bytes) = (150, 120);
        let m = merge(vec![a, b]).unwrap();
        assert_eq!((m.summary.searched_bytes, m.summary.default_bytes), (210, 220));
    }

    #[test]
    fn counts_add_up_files_sort_and_time_is_the_wall_span() {
        let a = part(&[("b.jpg", Status::Ok), ("d.jpg", Status::Failed)], 100.0, 5.0);
        let b = part(&[("a.jpg", Status::Ok), ("c.jpg", Status::Skipped)], 102.0, 10.0);
        let m = merge(vec![a, b]).unwrap();
        let names: Vec<&str> = m.files.iter().map(|f| f.input.as_str()).collect();
        assert_eq!(names, ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]);
        let s = &m.summary;
        assert_eq!((s.total, s.ok, s.skipped, s.failed), (4, 2, 1, 1));
        assert_eq!(s.elapsed_s, 12.0);
        assert_eq!(m.exit_status(), crate::ExitStatus::SomeFailed);
    }

    #[test]
    fn one_input_spelled_two_ways_is_a_duplicate_and_two_names_that_print_alike_are_not() {
        let a = part(&[("photos/a.jpg", Status::Ok), ("photos//b.jpg", Status::Ok)], 1.0, 1.0);
        let b = part(&[("./photos/a.jpg", Status::Ok), ("photos/./b.jpg", Status::Ok)], 1.0, 1.0);
        let e = merge(vec![a, b]).unwrap_err().to_string();
        assert!(e.starts_with("2 input(s)"), "{e}");
        // Two names that differ only in a byte that is not UTF-8.
        use std::os::unix::ffi::OsStrExt;
        let name = |b: &[u8]| Path::new(std::ffi::OsStr::from_bytes(b)).to_path_buf();
        let mut a = Report::default();
        a.record(FileRecord::new(&name(b"x/caf\xe9.jpg"), Status::Ok, 1), 1);
        let mut b = Report::default();
        b.record(FileRecord::new(&name(b"x/caf\xe8.jpg"), Status::Ok, 1), 1);
        assert_eq!(a.files[0].input, b.files[0].input, "they print alike");
        assert_eq!(merge(vec![a, b]).unwrap().summary.total, 2);
    }

    #[test]
    fn counts_that_overflow_are_an_error() {
        let mut a = part(&[("a.jpg", Status::Ok)], 1.0, 1.0);
        let b = part(&[("b.jpg", Status::Ok)], 1.0, 1.0);
        a.summary.output_bytes = u64::MAX;
        let mut b2 = b.clone();
        b2.summary.output_bytes = 1;
        assert!(matches!(merge(vec![a, b2]), Err(MergeError::Overflow("output_bytes"))));
    }

    #[test]
    fn an_input_in_two_reports_is_named() {
        let a = part(&[("x/same.jpg", Status::Ok)], 1.0, 1.0);
        let b = part(&[("x/same.jpg", Status::Ok), ("y.jpg", Status::Ok)], 1.0, 1.0);
        let e = merge(vec![a, b]).unwrap_err().to_string();
        assert!(e.contains("x/same.jpg") && !e.contains("y.jpg"), "{e}");
    }
}
