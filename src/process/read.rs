//! Reading an input file: opened without blocking, checked against
//! `--max-file-size` from its metadata before a byte is read, charged to the
//! memory budget before its bytes are held, and never read past the size it
//! had when opened (a file that keeps growing is not followed).
//!
//! The bytes are copied into memory rather than mapped: a mapped file that
//! another program truncates kills the process with SIGBUS, and a batch run
//! must survive its inputs changing under it.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::FileError;

/// How much of a file `--dry-run` reads first: enough for the header of every
/// format whose header comes first (the whole file is read only when it is not).
pub const PREFIX_LEN: u64 = 256 << 10;

/// Kind of a non-regular file, for the error message.
fn file_kind(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "folder"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

/// Opens an input read-only without ever blocking: a FIFO that replaced a
/// file after the walk must not hang a worker in `open()`.
pub fn open_input(path: &Path) -> Result<(File, std::fs::Metadata), FileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).map_err(|e| {
        match std::fs::metadata(path) {
            // Sockets refuse open() outright (ENXIO): name what the path is.
            Ok(m) if !m.is_file() => FileError::NotRegularFile(file_kind(m.file_type())),
            _ => FileError::Read(e),
        }
    })?;
    let meta = file.metadata().map_err(FileError::Read)?;
    if !meta.is_file() {
        return Err(FileError::NotRegularFile(file_kind(meta.file_type())));
    }
    Ok((file, meta))
}

/// An open input whose size has been checked.
pub struct Input {
    file: File,
    /// Size when opened; nothing past it is read.
    pub len: u64,
}

impl Input {
    /// Opens `path` and refuses it, before reading, if it is larger than `max_len`.
    pub fn open(path: &Path, max_len: u64) -> Result<Input, FileError> {
        let (file, meta) = open_input(path)?;
        let len = meta.len();
        if len > max_len {
            return Err(FileError::FileTooLarge { bytes: len, max: max_len });
        }
        Ok(Input { file, len })
    }

    /// The first `n` bytes (fewer if the file is shorter).
    pub fn prefix(&mut self, n: u64) -> Result<Vec<u8>, FileError> {
        let n = n.min(self.len);
        let mut bytes = Vec::with_capacity(n as usize);
        (&mut self.file).take(n).read_to_end(&mut bytes).map_err(FileError::Read)?;
        Ok(bytes)
    }

    /// The whole file as it was when opened, appending to `start` (bytes
    /// already read from the beginning). A file that has grown since fails:
    /// it is still being written.
    pub fn rest(&mut self, mut start: Vec<u8>) -> Result<Vec<u8>, FileError> {
        let left = self.len.saturating_sub(start.len() as u64);
        start.reserve_exact(left as usize);
        (&mut self.file).take(left).read_to_end(&mut start).map_err(FileError::Read)?;
        if start.len() as u64 == self.len && self.file.read(&mut [0u8; 1]).map_err(FileError::Read)? > 0 {
            return Err(FileError::Changed(self.len));
        }
        Ok(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_over_the_limit_fails_before_any_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jpg");
        let f = File::create(&path).unwrap();
        // Sparse: costs nothing on disk.
        f.set_len(6 << 30).unwrap();
        match Input::open(&path, 1 << 30) {
            Err(e @ FileError::FileTooLarge { bytes, max }) => {
                assert_eq!((bytes, max), (6 << 30, 1 << 30));
                assert_eq!(e.to_string(), "file is 6.0 GiB, over --max-file-size (1.0 GiB)");
            }
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("opened a file over the limit"),
        }
    }

    #[test]
    fn a_file_that_grew_after_opening_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("growing.png");
        std::fs::write(&path, [1u8; 100]).unwrap();
        let mut input = Input::open(&path, 1 << 20).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&[2u8; 50]).unwrap();
        let head = input.prefix(10).unwrap();
        assert!(matches!(input.rest(head), Err(FileError::Changed(100))));
    }

    #[test]
    fn prefix_then_rest_reads_the_file_once_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.gif");
        let data: Vec<u8> = (0..=255).collect();
        std::fs::write(&path, &data).unwrap();
        let mut input = Input::open(&path, 1 << 20).unwrap();
        let head = input.prefix(16).unwrap();
        assert_eq!(head, &data[..16]);
        assert_eq!(input.rest(head).unwrap(), data);
    }
}
