//! `imgbatch bench`: runs the same job for each worker count (and queue
//! capacity), several times, and measures what a user needs to choose
//! `--workers`: wall time mean ± σ, throughput, speed-up, parallel
//! efficiency, the Karp–Flatt serial fraction, peak memory, and where the
//! worker time went (see [`crate::stages::StageTimes`]).
//!
//! Runs happen in this process, one after another, with outputs kept in
//! memory unless asked otherwise; between runs freed memory is handed back to
//! the system and the kernel's peak-RSS mark is reset, so each
//! configuration's peak is its own.

pub mod export;
pub mod plot;

use std::path::PathBuf;

use serde::Serialize;

use crate::error::SetupError;
use crate::job::{Job, OutputMode};
use crate::stages::StageTimes;

/// What to sweep.
#[derive(Debug, Clone)]
pub struct BenchPlan {
    /// Worker counts, in order.
    pub workers: Vec<usize>,
    /// Queue capacities; `None` means 2 × workers for each count.
    pub queues: Option<Vec<usize>>,
    /// Measured runs per configuration.
    pub repeat: usize,
    /// Unmeasured runs per configuration first (warm the file cache).
    pub warmup: usize,
    /// Write outputs under this folder instead of dropping them.
    pub write: Option<PathBuf>,
}

/// The default sweep: 1, 2, 4 … up to twice the number of cores.
pub fn default_workers() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::iter::successors(Some(1usize), |w| Some(w * 2)).take_while(|&w| w <= 2 * cores).collect()
}

/// One configuration's measurements.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    /// Worker threads.
    pub workers: usize,
    /// Queue capacity.
    pub queue: usize,
    /// Wall time of each measured run, seconds.
    pub times_s: Vec<f64>,
    /// Mean wall time, seconds.
    pub mean_s: f64,
    /// Standard deviation of the wall time, seconds.
    pub stddev_s: f64,
    /// Images processed per run (ok + failed).
    pub images: u64,
    /// Images per second (from the mean).
    pub images_per_s: f64,
    /// Input megapixels per second (from the mean).
    pub megapixels_per_s: f64,
    /// Mean time with 1 worker (same queue) / mean time here.
    pub speedup: Option<f64>,
    /// Speed-up / workers.
    pub efficiency: Option<f64>,
    /// Karp–Flatt experimentally determined serial fraction (workers > 1).
    pub serial_fraction: Option<f64>,
    /// Peak resident memory during these runs, bytes (Linux only).
    pub peak_rss_bytes: Option<u64>,
    /// Stage times per run, averaged over the measured runs.
    pub stages: StageTimes,
    /// Files that failed in the last run (a benchmark of failures means little).
    pub failed: u64,
}

/// Everything a sweep measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// What each run did, e.g. `thumbs 256`.
    pub job: String,
    /// Input megapixels per run.
    pub input_megapixels: f64,
    /// Cores the machine offers.
    pub cores: usize,
    /// One row per configuration, in sweep order.
    pub rows: Vec<BenchRow>,
}

/// A worker count within this share of the best throughput is as good:
/// the difference is within a run's noise, and the smaller pool leaves
/// cores and memory to the rest of the machine.
const AS_GOOD: f64 = 0.95;

/// The configuration `bench` recommends, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recommendation {
    /// Worker threads.
    pub workers: usize,
    /// Queue capacity.
    pub queue: usize,
    /// Its speed-up over one worker, if one worker was measured.
    pub speedup: Option<f64>,
    /// Speed-up / workers.
    pub efficiency: Option<f64>,
    /// Its throughput as a share of the fastest configuration's (1 when it is the fastest).
    pub of_best: f64,
    /// Worker count of the fastest configuration.
    pub best_workers: usize,
}

impl BenchReport {
    /// The fewest workers whose throughput is within 5 % of the best.
    pub fn recommend(&self) -> Option<Recommendation> {
        let best =
            self.rows.iter().filter(|r| r.failed == 0).max_by(|a, b| a.images_per_s.total_cmp(&b.images_per_s))?;
        if best.images_per_s <= 0.0 {
            return None;
        }
        let pick = self
            .rows
            .iter()
            .filter(|r| r.failed == 0 && r.images_per_s >= AS_GOOD * best.images_per_s)
            .min_by(|a, b| a.workers.cmp(&b.workers).then(b.images_per_s.total_cmp(&a.images_per_s)))?;
        Some(Recommendation {
            workers: pick.workers,
            queue: pick.queue,
            speedup: pick.speedup,
            efficiency: pick.efficiency,
            of_best: pick.images_per_s / best.images_per_s,
            best_workers: best.workers,
        })
    }
}

/// Mean and sample standard deviation.
pub(crate) fn mean_stddev(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 { xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (mean, var.sqrt())
}

/// Karp–Flatt metric: the serial fraction `e = (1/S − 1/p) / (1 − 1/p)`
/// that explains speed-up `S` on `p` workers.
pub(crate) fn karp_flatt(speedup: f64, workers: usize) -> Option<f64> {
    if workers < 2 || speedup <= 0.0 {
        return None;
    }
    let p = workers as f64;
    Some((1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p))
}

/// Fills in speed-up, efficiency and serial fraction against the 1-worker
/// row with the same queue capacity.
pub(crate) fn derive_scaling(rows: &mut [BenchRow]) {
    let base: Vec<(usize, f64)> = rows.iter().filter(|r| r.workers == 1).map(|r| (r.queue, r.mean_s)).collect();
    let any_base = rows.iter().find(|r| r.workers == 1).map(|r| r.mean_s);
    for r in rows.iter_mut() {
        let one = base.iter().find(|(q, _)| *q == r.queue).map(|(_, t)| *t).or(any_base);
        if let Some(t1) = one.filter(|_| r.mean_s > 0.0) {
            let s = t1 / r.mean_s;
            r.speedup = Some(s);
            r.efficiency = Some(s / r.workers as f64);
            r.serial_fraction = karp_flatt(s, r.workers);
        }
    }
}

/// Linux's peak-RSS mark (VmHWM), reset by writing 5 to clear_refs.
mod rss {
    pub(crate) fn reset() {
        // Hand freed heap back first, so the new mark starts from live memory.
        #[cfg(target_env = "gnu")]
        // SAFETY: malloc_trim only releases free memory; no preconditions.
        unsafe {
            libc::malloc_trim(0);
        }
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    pub fn peak() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }
}

/// Runs the sweep. `on_run(label, done, total)` is called before each run.
pub fn run(
    base: &Job,
    plan: &BenchPlan,
    mut on_run: impl FnMut(&str, usize, usize),
) -> Result<BenchReport, SetupError> {
    if plan.workers.is_empty() || plan.workers.contains(&0) || plan.repeat == 0 {
        return Err(SetupError::Invalid("bench needs worker counts ≥ 1 and --repeat ≥ 1".into()));
    }
    if plan.queues.as_ref().is_some_and(|q| q.is_empty() || q.contains(&0)) {
        return Err(SetupError::Invalid("--queue values must be at least 1".into()));
    }
    let configs: Vec<(usize, usize)> = plan
        .workers
        .iter()
        .flat_map(|&w| match &plan.queues {
            Some(qs) => qs.iter().map(|&q| (w, q)).collect::<Vec<_>>(),
            None => vec![(w, 2 * w)],
        })
        .collect();
    let runs_each = plan.warmup + plan.repeat;
    let total = configs.len() * runs_each;
    let mut rows = Vec::with_capacity(configs.len());
    let mut input_megapixels = 0.0;
    for (i, &(workers, queue)) in configs.iter().enumerate() {
        let mut job = base.clone();
        job.resources.workers = workers;
        job.resources.queue = queue;
        job.output.force = true;
        job.output.mode = if plan.write.is_some() { OutputMode::Write } else { OutputMode::Discard };
        if let Some(dir) = &plan.write {
            job.output.dir = dir.clone();
        }
        let mut times = Vec::with_capacity(plan.repeat);
        let mut stages = StageTimes::default();
        let (mut images, mut failed) = (0, 0);
        rss::reset();
        for k in 0..runs_each {
            let measured = k >= plan.warmup;
            let label = if measured {
                format!("workers={workers} queue={queue} run {}/{}", k - plan.warmup + 1, plan.repeat)
            } else {
                format!("workers={workers} queue={queue} warm-up")
            };
            on_run(&label, i * runs_each + k, total);
            let report = crate::run(&job, &mut crate::Silent)?;
            if measured {
                times.push(report.summary.elapsed_s);
                stages.add(&report.summary.stages);
                images = report.summary.ok + report.summary.failed;
                failed = report.summary.failed;
                input_megapixels = report.summary.input_megapixels;
            }
        }
        let (mean_s, stddev_s) = mean_stddev(&times);
        let rate = |x: f64| if mean_s > 0.0 { x / mean_s } else { 0.0 };
        rows.push(BenchRow {
            workers,
            queue,
            images_per_s: rate(images as f64),
            megapixels_per_s: rate(input_megapixels),
            times_s: times,
            mean_s,
            stddev_s,
            images,
            speedup: None,
            efficiency: None,
            serial_fraction: None,
            peak_rss_bytes: rss::peak(),
            stages: stages.divided(plan.repeat as f64),
            failed,
        });
    }
    on_run("done", total, total);
    derive_scaling(&mut rows);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(BenchReport { job: describe(base), input_megapixels, cores, rows })
}

fn describe(job: &Job) -> String {
    use crate::job::Operation;
    let op = match &job.operation {
        Operation::Thumbs { sizes, crop } => {
            let s: Vec<String> = sizes.iter().map(u32::to_string).collect();
            format!("thumbs {}{}", s.join(","), if *crop { " crop" } else { "" })
        }
        Operation::Resize(t) => {
            let d = |v: Option<u32>| v.map_or("auto".to_string(), |v| v.to_string());
            format!("resize {}x{} {:?}", d(t.width), d(t.height), t.fit).to_lowercase()
        }
    };
    format!("{op}, quality {}", job.output.encode.quality)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(workers: usize, mean_s: f64) -> BenchRow {
        BenchRow {
            workers,
            queue: 2 * workers,
            times_s: vec![mean_s],
            mean_s,
            stddev_s: 0.0,
            images: 10,
            images_per_s: 10.0 / mean_s,
            megapixels_per_s: 0.0,
            speedup: None,
            efficiency: None,
            serial_fraction: None,
            peak_rss_bytes: None,
            stages: StageTimes::default(),
            failed: 0,
        }
    }

    #[test]
    fn statistics_are_right() {
        let (m, s) = mean_stddev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(m, 5.0);
        assert!((s - 2.138).abs() < 1e-3, "{s}");
        assert_eq!(mean_stddev(&[3.0]), (3.0, 0.0));
    }

    #[test]
    fn scaling_follows_amdahl() {
        // 10 % serial: T(p) = 0.1 + 0.9 / p.
        let mut rows = vec![row(1, 1.0), row(2, 0.55), row(4, 0.325)];
        rows[1].queue = 2;
        rows[2].queue = 2;
        rows[0].queue = 2;
        derive_scaling(&mut rows);
        assert!(rows[0].serial_fraction.is_none());
        assert!((rows[1].speedup.unwrap() - 1.0 / 0.55).abs() < 1e-9);
        assert!((rows[2].efficiency.unwrap() - 1.0 / 0.325 / 4.0).abs() < 1e-9);
        for r in &rows[1..] {
            assert!((r.serial_fraction.unwrap() - 0.1).abs() < 1e-9, "{:?}", r.serial_fraction);
        }
    }

    #[test]
    fn default_sweep_doubles_up_to_twice_the_cores() {
        let w = default_workers();
        assert_eq!(w[0], 1);
        assert!(w.windows(2).all(|p| p[1] == 2 * p[0]));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert!(*w.last().unwrap() <= 2 * cores && 2 * w.last().unwrap() > 2 * cores);
    }
}
