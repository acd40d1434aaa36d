//! Where outputs go and how they get there: the marker of an output
//! folder, and the atomic write (the names themselves come from the naming module).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The temporary files being written right now (by every write thread), so
/// that an exit on a second Ctrl-C can remove them instead of leaving litter.
static PARTIAL: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the temporary files of a write in progress, if any. Called just
/// before the process exits in the middle of a run.
pub fn remove_partial() {
    let partial = PARTIAL.lock().unwrap_or_else(PoisonError::into_inner);
    for p in partial.iter() {
        let _ = fs::remove_file(p);
    }
}

/// Forgets the temporary files of one finished write (renamed or deleted).
fn forget_partial(mine: &[PathBuf]) {
    PARTIAL.lock().unwrap_or_else(PoisonError::into_inner).retain(|p| !mine.contains(p));
}

/// Whether `a` and `b` are the same file on disk (both must exist).
pub(crate) fn same_file(a: &fs::Metadata, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(b).is_ok_and(|m| m.dev() == a.dev() && m.ino() == a.ino())
}

/// The folder imgbatch keeps in every output folder it writes: it marks the
/// folder as imgbatch's output, so that a run over a folder that contains
/// it leaves it out instead of processing thumbnails as photos.
pub const MARKER: &str = ".imgbatch";

const MARKER_README: &str = "This folder marks its parent as imgbatch's output folder: \
runs of imgbatch over a folder that contains it leave it out.\n";

/// Marks `out_dir` as an output folder (see [`MARKER`]); idempotent, and
/// safe for shards that mark one folder at once.
pub(crate) fn mark(out_dir: &Path) -> io::Result<()> {
    let marker = out_dir.join(MARKER);
    let readme = marker.join("README.txt");
    if readme.is_file() {
        return Ok(());
    }
    fs::create_dir_all(&marker)?;
    write_atomic(&readme, MARKER_README.as_bytes())
}

/// Whether `dir` is an output folder of imgbatch (it holds the [`MARKER`]).
pub(crate) fn is_marked(dir: &Path) -> bool {
    dir.join(MARKER).is_dir()
}

/// Writes `bytes` to `path` so that `path` either keeps its old content or
/// holds the whole new file: a temporary file in the same folder, renamed
/// over the final name. A crash leaves at most a hidden `.imgbatch-*.part`.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_all_or_none(&[(path, bytes)]).map_err(|(_, e)| e)
}

/// Writes a set of files (the sizes of one thumbnail set) all or none: every
/// file goes to a temporary file beside its final name first, and only when
/// all of them are complete are they renamed into place. A full disk or a
/// failed write therefore leaves none of the set, and the error names the
/// file that could not be written.
pub(crate) fn write_all_or_none(files: &[(&Path, &[u8])]) -> Result<(), (PathBuf, io::Error)> {
    let mut staged = Vec::with_capacity(files.len());
    let mut mine = Vec::with_capacity(files.len());
    let mut stage = |path: &Path, bytes: &[u8]| -> io::Result<tempfile::NamedTempFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // Made 0644 at once (tempfile's default is 0600): outputs are
        // ordinary shareable images, and a chmod per file costs as much as
        // the write on small thumbnails.
        use std::os::unix::fs::PermissionsExt;
        let builder = {
            let mut b = tempfile::Builder::new();
            b.prefix(".imgbatch-").suffix(".part").permissions(fs::Permissions::from_mode(0o644));
            b
        };
        // The folder usually exists (the set's first file made it): trying
        // first saves a mkdir per file.
        let mut tmp = match builder.tempfile_in(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir)?;
                builder.tempfile_in(dir)?
            }
            made => made?,
        };
        mine.push(tmp.path().to_path_buf());
        PARTIAL.lock().unwrap_or_else(PoisonError::into_inner).push(tmp.path().to_path_buf());
        tmp.write_all(bytes)?;
        Ok(tmp)
    };
    let mut result = Ok(());
    for &(path, bytes) in files {
        match stage(path, bytes) {
            Ok(tmp) => staged.push((tmp, path)),
            Err(e) => {
                result = Err((path.to_path_buf(), e));
                break;
            }
        }
    }
    if result.is_ok() {
        // Renames within a folder do not need space; they fail only if the
        // folder itself went away, and then nothing more can be written.
        for (tmp, path) in staged.drain(..) {
            if let Err(e) = tmp.persist(path) {
                result = Err((path.to_path_buf(), e.error));
                break;
            }
        }
    }
    // Dropping what is left of `staged` deletes those temporary files.
    drop(staged);
    forget_partial(&mine);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn atomic_write_replaces_whole_files_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/o.jpg");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path().join("sub")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![OsString::from("o.jpg")]);
    }

    #[test]
    fn a_set_with_one_unwritable_file_leaves_none_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a_64.jpg");
        // A folder where the second file's parent should be: its write fails.
        fs::write(dir.path().join("blocker"), b"").unwrap();
        let bad = dir.path().join("blocker/a_256.jpg");
        let err = write_all_or_none(&[(&good, b"small"), (&bad, b"large")]).unwrap_err();
        assert_eq!(err.0, bad);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![OsString::from("blocker")], "nothing of the set, no temporary file");
    }
}
