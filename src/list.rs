//! Inputs named by a list instead of found by walking: `--files-from` (a
//! manifest split upstream, or any selection) and `--retry-failed` (the
//! files a report says failed or were interrupted). Every entry is a path
//! relative to the one input folder, so outputs land where a full run would
//! put them.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use base64::Engine;

use crate::error::SetupError;
use crate::report::{Report, Status};

/// Reads a list of paths from `source` (`-` for stdin): one per line, or
/// NUL-separated with `nul` (for names that hold newlines, as `find -print0`
/// writes). Empty entries are skipped; a line's trailing CR is dropped.
pub fn read_list(source: &Path, nul: bool, root: &Path) -> Result<Vec<PathBuf>, SetupError> {
    let mut bytes = Vec::new();
    let read = if source == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(source).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| SetupError::Invalid(format!("--files-from {}: {e}", source.display())))?;
    let sep = if nul { b'\0' } else { b'\n' };
    let entries = bytes.split(|&b| b == sep).map(|e| if nul { e } else { e.strip_suffix(b"\r").unwrap_or(e) });
    relative_all(entries.filter(|e| !e.is_empty()).map(|e| PathBuf::from(OsStr::from_bytes(e))), root)
}

/// The inputs a report says failed or were interrupted, to run again.
pub fn failed_in_report(report: &Path, root: &Path) -> Result<Vec<PathBuf>, SetupError> {
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
fn relative_all(entries: impl Iterator<Item = PathBuf>, root: &Path) -> Result<Vec<PathBuf>, SetupError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for e in entries {
        let rel = relative(&e, root)?;
        if seen.insert(rel.clone()) {
            out.push(rel);
        }
    }
    Ok(out)
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
        let got = read_list(&list, false, dir.path()).unwrap();
        assert_eq!(got, [Path::new("b.jpg"), Path::new("a.jpg"), Path::new("new"), Path::new("line.jpg")]);
        std::fs::write(&list, b"b.jpg\0new\nline.jpg\0\xFF.jpg\0").unwrap();
        let got = read_list(&list, true, dir.path()).unwrap();
        assert_eq!(got[1], Path::new("new\nline.jpg"));
        assert_eq!(got[2].as_os_str().as_bytes(), b"\xFF.jpg");
    }
}
