//! Inputs named by a list instead of found by walking: `--files-from` (a
//! manifest split upstream, or any selection) and `--retry-failed` (the
//! files a report says failed or were interrupted). Every entry is a path
//! relative to the one input folder, so outputs land where a full run would
//! put them.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::BufRead;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use base64::Engine;

use crate::error::SetupError;
use crate::report::{Report, Status};

/// Paths relative to the input folder, in the order given, without
/// repeats, held in one buffer: a million-line `--files-from` costs its
/// bytes and an offset per entry (about 45 MB), not a `PathBuf` and a copy
/// for deduplication each (about 150 MB more).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileList {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl FileList {
    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter()).map(|(a, &b)| Path::new(OsStr::from_bytes(&self.bytes[a..b])))
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Entry `i`'s bytes.
    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The list of `paths` (already relative to the input folder, without
    /// `..`), in order, repeats dropped.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a Path>) -> FileList {
        let mut b = Builder::default();
        paths.into_iter().for_each(|p| b.push(p));
        b.finish()
    }
}

/// Makes a [`FileList`] one entry at a time.
#[derive(Default)]
struct Builder {
    list: FileList,
    /// Hash → first entry with it; a collision is settled by comparing
    /// bytes with every entry (64-bit hashes: never seen in practice).
    seen: HashMap<u64, usize>,
}

impl Builder {
    /// For a list of about `bytes` bytes (a guess at 40 per entry).
    fn with_capacity(bytes: u64) -> Builder {
        let (bytes, entries) = (bytes as usize, bytes as usize / 40);
        Builder {
            list: FileList { bytes: Vec::with_capacity(bytes), ends: Vec::with_capacity(entries) },
            seen: HashMap::with_capacity(entries),
        }
    }

    fn push(&mut self, path: &Path) {
        let (list, b) = (&mut self.list, path.as_os_str().as_bytes());
        let hash = twox_hash::XxHash64::oneshot(0, b);
        let repeat = match self.seen.get(&hash) {
            Some(&i) if list.get(i) == b => true,
            Some(_) => (0..list.len()).any(|i| list.get(i) == b),
            None => false,
        };
        if !repeat {
            self.seen.entry(hash).or_insert(list.len());
            list.bytes.extend_from_slice(b);
            list.ends.push(list.bytes.len());
        }
    }

    fn finish(mut self) -> FileList {
        self.list.bytes.shrink_to_fit();
        self.list.ends.shrink_to_fit();
        self.list
    }
}

/// Reads a list of paths from `source` (`-` for stdin): one per line, or
/// NUL-separated with `nul` (for names that hold newlines, as `find -print0`
/// writes). Empty entries are skipped; a line's trailing CR is dropped.
pub fn read_list(source: &Path, nul: bool, root: &Path) -> Result<FileList, SetupError> {
    let bad = |e: std::io::Error| SetupError::Invalid(format!("--files-from {}: {e}", source.display()));
    // Read a line at a time: the list is held once, in the FileList.
    let reader: Box<dyn BufRead> = if source == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(source).map_err(bad)?))
    };
    let size = std::fs::metadata(source).map_or(0, |m| m.len());
    let mut list = Builder::with_capacity(if source == Path::new("-") { 0 } else { size });
    for entry in reader.split(if nul { b'\0' } else { b'\n' }) {
        let entry = entry.map_err(bad)?;
        let entry = if nul { &entry[..] } else { entry.strip_suffix(b"\r").unwrap_or(&entry) };
        if !entry.is_empty() {
            list.push(&relative(Path::new(OsStr::from_bytes(entry)), root)?);
        }
    }
    Ok(list.finish())
}

/// The inputs a report says failed or were interrupted, to run again.
pub fn failed_in_report(report: &Path, root: &Path) -> Result<FileList, SetupError> {
    let bad = |why: String| SetupError::Invalid(format!("--retry-failed {}: {why}", report.display()));
    let text = std::fs::read_to_string(report).map_err(|e| bad(e.to_string()))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| bad(format!("not an imgbatch JSON report ({e})")))?;
    let failed = report.files.into_iter().filter(|f| matches!(f.status, Status::Failed | Status::Interrupted));
    let paths =
        failed.map(|f| match f.input_bytes.and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok()) {
            // A name that is not UTF-8 is exact only in its bytes.
            Some(exact) => PathBuf::from(OsStr::from_bytes(&exact)),
            None => PathBuf::from(f.input),
        });
    relative_all(paths, root)
}

/// Each entry relative to `root`, in the order given, without repeats.
fn relative_all(entries: impl Iterator<Item = PathBuf>, root: &Path) -> Result<FileList, SetupError> {
    let mut list = Builder::default();
    for e in entries {
        list.push(&relative(&e, root)?);
    }
    Ok(list.finish())
}

/// `entry` as a path under `root`: given relative to it, or as the walk of
/// `root` would name it (`root/…`, which is what reports hold), or absolute
/// inside it. Nothing may lead out of it (`..`): its outputs would land
/// outside the output folder.
fn relative(entry: &Path, root: &Path) -> Result<PathBuf, SetupError> {
    let outside =
        || SetupError::Invalid(format!("{} is not under the input folder {}", entry.display(), root.display()));
    let inside = if let Ok(rel) = entry.strip_prefix(root) {
        rel.to_path_buf()
    } else if entry.is_absolute() {
        let canonical = std::fs::canonicalize(root).map_err(|_| outside())?;
        entry.strip_prefix(&canonical).map_err(|_| outside())?.to_path_buf()
    } else {
        entry.to_path_buf()
    };
    let mut clean = PathBuf::new();
    for c in inside.components() {
        match c {
            Component::Normal(n) => clean.push(n),
            Component::CurDir => {}
            _ => return Err(outside()),
        }
    }
    if clean.as_os_str().is_empty() {
        return Err(outside());
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_taken_relative_to_the_root_whichever_way_they_are_written() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let abs = std::fs::canonicalize(r).unwrap().join("2024/a.jpg");
        for e in [PathBuf::from("2024/a.jpg"), PathBuf::from("./2024/a.jpg"), r.join("2024/a.jpg"), abs] {
            assert_eq!(relative(&e, r).unwrap(), Path::new("2024/a.jpg"), "{}", e.display());
        }
        for e in ["../x.jpg", "2024/../../x.jpg", "/etc/passwd", "."] {
            assert!(relative(Path::new(e), r).is_err(), "{e}");
        }
    }

    #[test]
    fn lines_or_nuls_in_order_without_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("list");
        std::fs::write(&list, "b.jpg\r\na.jpg\n\nb.jpg\nnew\nline.jpg\n").unwrap();
        let got: Vec<PathBuf> = read_list(&list, false, dir.path()).unwrap().iter().map(Path::to_path_buf).collect();
        assert_eq!(got, [Path::new("b.jpg"), Path::new("a.jpg"), Path::new("new"), Path::new("line.jpg")]);
        std::fs::write(&list, b"b.jpg\0new\nline.jpg\0\xFF.jpg\0").unwrap();
        let got: Vec<PathBuf> = read_list(&list, true, dir.path()).unwrap().iter().map(Path::to_path_buf).collect();
        assert_eq!(got[1], Path::new("new\nline.jpg"));
        assert_eq!(got[2].as_os_str().as_bytes(), b"\xFF.jpg");
    }
}
