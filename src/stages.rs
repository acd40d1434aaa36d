//! Where a run's time goes, stage by stage.

use serde::{Deserialize, Serialize};

/// Seconds spent per stage, summed over every worker (so with N workers
/// they add up to about N × wall time). Shows where a run's time goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StageTimes {
    /// Workers idle, waiting for the walker to hand out a task.
    pub wait_input_s: f64,
    /// Reading and decoding.
    pub decode_s: f64,
    /// Resizing, orienting, letterboxing.
    pub resize_s: f64,
    /// Encoding.
    pub encode_s: f64,
    /// Writing output files (the writer thread).
    pub write_s: f64,
    /// Workers blocked because the writer's queue was full.
    pub wait_output_s: f64,
    /// Workers waiting for room in the `--max-memory` budget.
    pub wait_memory_s: f64,
}

impl StageTimes {
    /// Adds another set of times to this one.
    pub fn add(&mut self, o: &StageTimes) {
        self.wait_input_s += o.wait_input_s;
        self.decode_s += o.decode_s;
        self.resize_s += o.resize_s;
        self.encode_s += o.encode_s;
        self.write_s += o.write_s;
        self.wait_output_s += o.wait_output_s;
        self.wait_memory_s += o.wait_memory_s;
    }

    /// Every time divided by `n` (the mean over `n` runs).
    pub(crate) fn divided(&self, n: f64) -> StageTimes {
        StageTimes {
            wait_input_s: self.wait_input_s / n,
            decode_s: self.decode_s / n,
            resize_s: self.resize_s / n,
            encode_s: self.encode_s / n,
            write_s: self.write_s / n,
            wait_output_s: self.wait_output_s / n,
            wait_memory_s: self.wait_memory_s / n,
        }
    }
}
