//! Paths as their exact bytes in serde formats, for the frames to and from
//! worker processes: serde's own `PathBuf` refuses a name that is not UTF-8,
//! and a photo folder copied from an old camera or another OS has them.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serializer};

/// Serializes a path as its bytes.
pub(crate) fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(path.as_os_str().as_bytes())
}

/// Reads a path written by [`serialize`].
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    let bytes = serde_bytes::ByteBuf::deserialize(d)?;
    Ok(PathBuf::from(OsString::from_vec(bytes.into_vec())))
}

/// The same for a task's outputs: each path with what it is paired with.
pub mod pairs {
    use super::*;
    use serde::Serialize;
    use serde::ser::SerializeSeq;

    /// Serializes `(path, value)` pairs with the paths as bytes.
    pub(crate) fn serialize<S: Serializer, T: Serialize>(pairs: &[(PathBuf, T)], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(pairs.len()))?;
        for (path, value) in pairs {
            seq.serialize_element(&(serde_bytes::Bytes::new(path.as_os_str().as_bytes()), value))?;
        }
        seq.end()
    }

    /// Reads pairs written by [`serialize`].
    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<(PathBuf, T)>, D::Error> {
        let pairs = Vec::<(serde_bytes::ByteBuf, T)>::deserialize(d)?;
        Ok(pairs.into_iter().map(|(p, v)| (PathBuf::from(OsString::from_vec(p.into_vec())), v)).collect())
    }
}
