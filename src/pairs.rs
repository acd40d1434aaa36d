//! Shots saved in several formats at once: most cameras can write
//! `DSC_0001.NEF` and `DSC_0001.JPG` side by side (phones a HEIC and a
//! JPEG, scanners a TIFF and a JPEG). Files of one stem in one folder whose
//! formats can be such a pair (the format table's `pair` column) are one
//! shot: `--pairs` says which member makes the outputs, and the others are
//! reported as paired instead of each writing the same thumbnail.
//!
//! The walker asks for each file; the folder is listed once, when its first
//! file comes, so the answer never depends on the order of the walk, and
//! every shard of a split run decides alike.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::format::{Pair, by_extension};
use crate::job::Pairs;

/// What a file is to its shot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    /// It makes its shot's outputs (or has no sibling), under its own name.
    Makes,
    /// Another member makes them: this one is reported as paired with it.
    Paired(PathBuf),
    /// `--pairs both`: it makes outputs too, named apart by this tag (its
    /// extension, lower case) after the stem.
    Apart(String),
}

/// The pairable files of the folder last asked about, by stem.
#[derive(Debug, Default)]
pub(crate) struct Siblings {
    dir: Option<PathBuf>,
    by_stem: HashMap<OsString, Vec<OsString>>,
}

/// A file's part in a shot, and how much it is preferred: the lower, the
/// more (`--pairs jpeg` puts the rendered members first, `raw` the RAW).
fn rank(name: &OsStr, choice: Pairs) -> Option<(u8, u8)> {
    let pair = by_extension(Path::new(name))?.pair?;
    Some(match (pair, choice) {
        (Pair::Raw, Pairs::Raw) => (0, 0),
        (Pair::Raw, _) => (1, 0),
        (Pair::Rendered(r), Pairs::Raw) => (1, r),
        (Pair::Rendered(r), _) => (0, r),
    })
}

fn is_hidden(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

impl Siblings {
    /// What `path` is to its shot under `choice`.
    pub(crate) fn role(&mut self, path: &Path, choice: Pairs) -> Role {
        let (Some(name), Some(stem)) = (path.file_name(), path.file_stem()) else { return Role::Makes };
        if rank(name, choice).is_none() {
            return Role::Makes;
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        if self.dir.as_deref() != Some(dir) {
            self.list(dir, choice);
        }
        let Some(members) = self.by_stem.get(stem).filter(|m| m.len() > 1) else { return Role::Makes };
        // Ties (two RAWs of one stem) go to the name first in byte order.
        let best = members.iter().min_by(|a, b| rank(a, choice).cmp(&rank(b, choice)).then(a.cmp(b)));
        match best {
            Some(best) if best == name => Role::Makes,
            _ if choice == Pairs::Both => {
                let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
                Role::Apart(ext.unwrap_or_default())
            }
            Some(best) => Role::Paired(dir.join(best)),
            None => Role::Makes,
        }
    }

    /// Lists the pairable files of `dir` by stem (hidden ones are no part
    /// of a shot the walk takes).
    fn list(&mut self, dir: &Path, choice: Pairs) {
        self.dir = Some(dir.to_path_buf());
        self.by_stem.clear();
        let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if is_hidden(&name) || rank(&name, choice).is_none() || !e.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            if let Some(stem) = Path::new(&name).file_stem() {
                self.by_stem.entry(stem.to_os_string()).or_default().push(name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for n in names {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        dir
    }

    #[test]
    fn a_raw_and_its_jpeg_are_one_shot_made_by_the_member_asked_for() {
        let d = folder(&["DSC_0001.NEF", "DSC_0001.JPG", "DSC_0002.NEF", "logo.png", "logo.jpg", "DSC_0001.xmp"]);
        let p = |n: &str| d.path().join(n);
        let mut s = Siblings::default();
        assert_eq!(s.role(&p("DSC_0001.NEF"), Pairs::Jpeg), Role::Paired(p("DSC_0001.JPG")));
        assert_eq!(s.role(&p("DSC_0001.JPG"), Pairs::Jpeg), Role::Makes);
        assert_eq!(s.role(&p("DSC_0002.NEF"), Pairs::Jpeg), Role::Makes, "a RAW alone");
        // PNG is never part of a shot: logo.png and logo.jpg are two images.
        assert_eq!(s.role(&p("logo.jpg"), Pairs::Jpeg), Role::Makes);
        assert_eq!(s.role(&p("logo.png"), Pairs::Jpeg), Role::Makes);
        let mut s = Siblings::default();
        assert_eq!(s.role(&p("DSC_0001.JPG"), Pairs::Raw), Role::Paired(p("DSC_0001.NEF")));
        assert_eq!(s.role(&p("DSC_0001.NEF"), Pairs::Raw), Role::Makes);
        let mut s = Siblings::default();
        assert_eq!(s.role(&p("DSC_0001.JPG"), Pairs::Both), Role::Makes);
        assert_eq!(s.role(&p("DSC_0001.NEF"), Pairs::Both), Role::Apart("nef".into()));
    }

    #[test]
    fn jpeg_is_preferred_to_heic_and_heic_to_tiff() {
        let d = folder(&["IMG_1.HEIC", "IMG_1.JPG", "scan.tif", "scan.heic"]);
        let p = |n: &str| d.path().join(n);
        let mut s = Siblings::default();
        assert_eq!(s.role(&p("IMG_1.HEIC"), Pairs::Jpeg), Role::Paired(p("IMG_1.JPG")));
        assert_eq!(s.role(&p("scan.tif"), Pairs::Jpeg), Role::Paired(p("scan.heic")));
        // --pairs raw with no RAW in the shot: the rendered preference stands.
        assert_eq!(s.role(&p("IMG_1.HEIC"), Pairs::Raw), Role::Paired(p("IMG_1.JPG")));
    }
}
