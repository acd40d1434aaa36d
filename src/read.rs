//! Reading an input file: opened without blocking, checked against
//! `--max-file-size` from its metadata before a byte is read, charged to the
//! memory budget before its bytes are held, and never read past the size it
//! had when opened (a file that keeps growing is not followed).
//!
//! The bytes are copied into memory rather than mapped: a mapped file that
//! another program truncates kills the process with SIGBUS, and a batch run
//! must survive its inputs changing under it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::FileError;

/// How much of a file `--dry-run` reads first: enough for the header of every
/// format whose header comes first (the whole file is read only when it is not).
pub(crate) const PREFIX_LEN: u64 = 256 << 10;

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
pub(crate) fn open_input(path: &Path) -> Result<(File, std::fs::Metadata), FileError> {
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

/// Bytes looked at by offset: a file held in memory, or a [`Window`] onto
/// one that is not, so that a walk over a file's structure (JPEG markers,
/// PNG chunks) is written once for both.
pub trait Source {
    /// The bytes from `i` on: at least `want` of them unless the data ends
    /// first, and empty from the end on.
    fn at(&mut self, i: usize, want: usize) -> &[u8];
    /// Total length.
    fn size(&self) -> usize;
}

impl Source for &[u8] {
    #[inline]
    fn at(&mut self, i: usize, _want: usize) -> &[u8] {
        &self[i.min(self.len())..]
    }

    fn size(&self) -> usize {
        self.len()
    }
}

/// How much of a file a [`Window`] holds at a time.
pub(crate) const WINDOW_LEN: usize = 1 << 20;

/// A [`Source`] over an open input that holds 1 MiB of it at a time, read
/// with `pread` as the walk moves on. A failed read ends the data early and
/// is kept in `error` for the caller to report.
pub struct Window<'a> {
    file: &'a File,
    len: u64,
    start: u64,
    buf: Vec<u8>,
    /// The first read error, kept for the caller (the decoders reading
    /// through this see an early end of data).
    pub error: Option<std::io::Error>,
}

impl Source for Window<'_> {
    fn at(&mut self, i: usize, want: usize) -> &[u8] {
        let (at, end) = (i as u64, self.start + self.buf.len() as u64);
        let held = at >= self.start && (at + want as u64 <= end || end == self.len);
        if !held && at < self.len {
            let n = (self.len - at).min(WINDOW_LEN.max(want) as u64) as usize;
            self.buf.resize(n, 0);
            self.start = at;
            if let Err(e) = self.file.read_exact_at(&mut self.buf, at) {
                self.error = Some(e);
                self.buf.clear();
                self.len = at;
            }
        }
        let from = (at.saturating_sub(self.start) as usize).min(self.buf.len());
        if at < self.start { &[] } else { &self.buf[from..] }
    }

    fn size(&self) -> usize {
        self.len as usize
    }
}

/// `Read` and `Seek` over the first `len` bytes of an open input, with
/// `pread` (a decoder that wants a reader, such as `png`, wrapped in a
/// `BufReader`).
pub struct Reader<'a> {
    file: &'a File,
    pos: u64,
    len: u64,
}

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (self.len.saturating_sub(self.pos)).min(buf.len() as u64) as usize;
        if n == 0 {
            return Ok(0);
        }
        let got = self.file.read_at(&mut buf[..n], self.pos)?;
        self.pos += got as u64;
        Ok(got)
    }
}

impl Seek for Reader<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
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

    /// The open file, for a decoder that reads it itself (never past `len`).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// A [`Window`] onto the file, for a walk over its structure.
    pub fn window(&self) -> Window<'_> {
        Window { file: &self.file, len: self.len, start: 0, buf: Vec::new(), error: None }
    }

    /// A reader of the file from its start.
    pub(crate) fn reader(&self) -> Reader<'_> {
        Reader { file: &self.file, pos: 0, len: self.len }
    }

    /// Fails when the file has grown since it was opened, as [`Input::rest`]
    /// does: read in pieces, it must also have been complete.
    pub(crate) fn check_unchanged(&self) -> Result<(), FileError> {
        let now = self.file.metadata().map_err(FileError::Read)?.len();
        if now > self.len {
            return Err(FileError::Changed(self.len));
        }
        Ok(())
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
    fn the_reader_reads_and_seeks_within_the_size_at_opening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.bin");
        let data: Vec<u8> = (0..=255).cycle().take(5000).collect();
        std::fs::write(&path, &data).unwrap();
        let input = Input::open(&path, u64::MAX).unwrap();
        // Grown after opening: the reader stops at the size it was given.
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&[7u8; 100]).unwrap();
        let mut r = input.reader();
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
        assert!(matches!(input.check_unchanged(), Err(FileError::Changed(5000))));
        assert_eq!(r.seek(SeekFrom::End(-10)).unwrap(), 4990);
        let mut tail = [0u8; 20];
        assert_eq!(r.read(&mut tail).unwrap(), 10);
        assert_eq!(tail[..10], data[4990..]);
        assert_eq!(r.seek(SeekFrom::Current(-5001)).ok(), None);
        r.seek(SeekFrom::Start(256)).unwrap();
        assert_eq!(r.read(&mut tail).unwrap(), 20);
        assert_eq!(tail[0], 0);
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
