//! What crosses the pipes between the run and a worker process: one frame
//! per message, its length (8 bytes, little-endian) then the message in
//! postcard. Pixels never cross: a task goes in, the encoded outputs (or the
//! file's error) come back, and in between the worker asks for memory.

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::process::{ProcessOptions, Processed, Task};

/// The first argument that turns the program into a worker process.
pub const WORKER_ARG: &str = "__imgbatch-worker";

/// How a worker process ends when an allocation failed at its memory limit
/// (see `child.rs`): told apart from a crash without reading its stderr.
pub(crate) const OUT_OF_MEMORY_EXIT: i32 = 86;

/// No frame is longer: more than any encoded output a run can make, and a
/// worker that says otherwise is broken.
const MAX_FRAME: u64 = 4 << 30;

/// From the run to a worker process.
#[derive(Debug, Serialize, Deserialize)]
pub enum ToWorker {
    /// First and once: the per-file settings of the run.
    Hello(ProcessOptions),
    /// A file to process.
    Task(Task),
    /// The answer to [`FromWorker::Admit`]: go on, or the reason not to.
    Admitted(Result<(), String>),
}

/// From a worker process to the run.
#[derive(Debug, Serialize, Deserialize)]
pub enum FromWorker {
    /// Set up and waiting for tasks.
    Ready,
    /// Asks for this many more bytes of the run's memory budget.
    Admit(u64),
    /// The file is done: its outputs, or its error as the text to report.
    Done(Result<Processed, String>),
}

/// Writes one message and flushes it.
pub fn send<T: Serialize>(to: &mut impl Write, msg: &T) -> io::Result<()> {
    let bytes = postcard::to_stdvec(msg).map_err(io::Error::other)?;
    to.write_all(&(bytes.len() as u64).to_le_bytes())?;
    to.write_all(&bytes)?;
    to.flush()
}

/// Reads one message; `None` when the other side closed the pipe between
/// messages.
pub fn recv<T: DeserializeOwned>(from: &mut impl Read) -> io::Result<Option<T>> {
    let mut len = [0u8; 8];
    match from.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u64::from_le_bytes(len);
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("frame of {len} bytes")));
    }
    let mut bytes = Vec::new();
    from.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    postcard::from_bytes(&bytes).map(Some).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Fit, OutFormat, Target};
    use crate::process::Rendered;
    use crate::stages::StageTimes;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;

    #[test]
    fn a_task_with_a_name_that_is_not_utf8_crosses_whole() {
        let name = PathBuf::from(OsStr::from_bytes(b"photos/caf\xe9.jpg"));
        let target = Target { width: Some(256), height: None, fit: Fit::Inside };
        let task = Task {
            input: name.clone(),
            seq: 7,
            up_to_date: false,
            cost: 42,
            source: crate::format::InFormat::Jpeg,
            format: OutFormat::Jpeg,
            outputs: vec![(PathBuf::from(OsStr::from_bytes(b"out/caf\xe9_256.jpg")), target)],
            stamp: Default::default(),
            redo: None,
        };
        let mut pipe = Vec::new();
        send(&mut pipe, &ToWorker::Task(task)).unwrap();
        let Some(ToWorker::Task(back)) = recv(&mut pipe.as_slice()).unwrap() else { panic!("not a task") };
        assert_eq!(back.input, name);
        assert_eq!(back.outputs[0].0.as_os_str().as_bytes(), b"out/caf\xe9_256.jpg");
        assert_eq!((back.seq, back.cost, back.outputs[0].1), (7, 42, target));
    }

    #[test]
    fn outputs_come_back_byte_for_byte_and_a_cut_frame_is_an_error() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        let out = Rendered {
            path: "a_256.jpg".into(),
            width: 256,
            height: 170,
            crop: Some(crate::report::CropBox { x: 1, y: 2, width: 3, height: 4 }),
            bytes: bytes.clone(),
            // Every optional field of what crosses, present or not (postcard
            // cannot skip a field: a `skip_serializing_if` here breaks the frame).
            chosen: Some(crate::report::Chosen { quality: 71, score: None, default_bytes: 9, encodes: 3, note: None }),
        };
        let done = Processed { outputs: vec![out], input_pixels: 9, warning: None, stages: StageTimes::default() };
        let mut pipe = Vec::new();
        send(&mut pipe, &FromWorker::Done(Ok(done))).unwrap();
        let Some(FromWorker::Done(Ok(back))) = recv(&mut pipe.as_slice()).unwrap() else { panic!("not done") };
        assert_eq!(back.outputs[0].bytes, bytes);
        assert_eq!(back.outputs[0].chosen.as_ref().map(|c| (c.quality, c.encodes)), Some((71, 3)));
        assert_eq!(back.outputs[0].crop.map(|c| c.height), Some(4));
        // Cut inside the frame: an error, not a clean end.
        let cut = &pipe[..pipe.len() - 10];
        assert!(recv::<FromWorker>(&mut &cut[..]).is_err());
        // Nothing at all: the other side is gone between messages.
        assert!(recv::<FromWorker>(&mut &[][..]).unwrap().is_none());
    }
}
