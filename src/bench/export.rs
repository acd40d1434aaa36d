//! The bench table on the terminal and its exports: Markdown, CSV, JSON.

use std::path::Path;

use super::{BenchReport, BenchRow};
use crate::units::human_bytes;

const HEADERS: [&str; 16] = [
    "workers",
    "queue",
    "time (mean ± σ)",
    "images/s",
    "MP/s",
    "speed-up",
    "efficiency",
    "serial fraction",
    "peak RSS",
    "wait walker",
    "decode",
    "resize",
    "encode",
    "wait writer",
    "wait memory",
    "write",
];

/// The first table on the terminal: throughput and scaling (fits 100
/// columns); peak RSS and the stage shares (columns from here on) follow as
/// a second table, keyed by workers and queue again, unless `--wide` asks
/// for one table.
const SCALING_COLUMNS: usize = 8;

/// Fewer runs than this per configuration and a mean says little: warn.
pub(crate) const FEW_RUNS: usize = 3;

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "–".to_string(), f)
}

/// Share of `part` in `whole`, as a percentage string.
fn pct(part: f64, whole: f64) -> String {
    if whole > 0.0 { format!("{:.0} %", 100.0 * part / whole) } else { "–".into() }
}

/// The cells of one row, as displayed. Stage shares are of the workers'
/// total time (workers × wall); `write` is the writer thread's share of wall.
fn cells(r: &BenchRow) -> Vec<String> {
    let worker_time = r.workers as f64 * r.mean_s;
    let s = &r.stages;
    vec![
        r.workers.to_string(),
        r.queue.to_string(),
        // One run has no spread: say so rather than print ± 0.000.
        if r.times_s.len() < 2 {
            format!("{:.3} s ± –", r.mean_s)
        } else {
            format!("{:.3} s ± {:.3} s", r.mean_s, r.stddev_s)
        },
        format!("{:.1}", r.images_per_s),
        format!("{:.1}", r.megapixels_per_s),
        opt(r.speedup, |v| format!("{v:.2}×")),
        opt(r.efficiency, |v| format!("{:.0} %", 100.0 * v)),
        opt(r.serial_fraction, |v| format!("{v:.3}")),
        r.peak_rss_bytes.map_or_else(|| "–".into(), human_bytes),
        pct(s.wait_input_s, worker_time),
        pct(s.decode_s, worker_time),
        pct(s.resize_s, worker_time),
        pct(s.encode_s, worker_time),
        pct(s.wait_output_s, worker_time),
        pct(s.wait_memory_s, worker_time),
        pct(s.write_s, r.mean_s),
    ]
}

fn preamble(r: &BenchReport) -> String {
    let images = r.rows.first().map_or(0, |row| row.images);
    let runs = r.rows.first().map_or(0, |row| row.times_s.len());
    let plural = if runs == 1 { "run" } else { "runs" };
    format!(
        "{}: {images} images ({:.1} MP) · {runs} {plural} per configuration · {} cores",
        r.job, r.input_megapixels, r.cores
    )
}

/// Aligned plain-text table of the given columns.
fn table(rows: &[Vec<String>], columns: &[usize]) -> String {
    let width = |i: usize| rows.iter().map(|c| c[i].chars().count()).chain([HEADERS[i].chars().count()]).max();
    let line = |c: &[String]| {
        let cells: Vec<String> = columns
            .iter()
            .map(|&i| {
                let w = width(i).unwrap_or(0);
                format!("{:>w$}", c[i])
            })
            .collect();
        cells.join("  ").trim_end().to_string() + "\n"
    };
    let headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
    let mut out = line(&headers);
    for c in rows {
        out += &line(c);
    }
    out
}

/// The tables as aligned plain text, for the terminal: scaling first, then
/// where the time went (one table of every column when `wide`).
pub fn text(r: &BenchReport, wide: bool) -> String {
    let rows: Vec<Vec<String>> = r.rows.iter().map(cells).collect();
    let mut out = preamble(r) + "\n";
    if wide {
        out += &table(&rows, &(0..HEADERS.len()).collect::<Vec<_>>());
    } else {
        out += &table(&rows, &(0..SCALING_COLUMNS).collect::<Vec<_>>());
        out.push('\n');
        out += &table(&rows, &[0, 1].into_iter().chain(SCALING_COLUMNS..HEADERS.len()).collect::<Vec<_>>());
    }
    out += "stage columns: share of worker time (workers × wall); write: share of the writer thread's wall time\n";
    let runs = r.rows.iter().map(|row| row.times_s.len()).min().unwrap_or(0);
    if runs < FEW_RUNS {
        let plural = if runs == 1 { "run" } else { "runs" };
        out += &format!(
            "warning: {runs} {plural} per configuration: times, speed-ups and the serial fraction are noise; use --repeat {FEW_RUNS} or more\n"
        );
    }
    if r.rows.iter().any(|row| row.failed > 0) {
        out += "warning: some files failed; their time is not representative\n";
    }
    if let Some(line) = recommendation(r) {
        out += &line;
        out.push('\n');
    }
    out
}

/// `recommended: --workers N --queue Q` and why, on two lines, from
/// [`BenchReport::recommend`].
pub fn recommendation(r: &BenchReport) -> Option<String> {
    let rec = r.recommend()?;
    let cores = if r.cores == 1 { "1 core".to_string() } else { format!("{} cores", r.cores) };
    let mut why = Vec::new();
    if let (Some(s), Some(e)) = (rec.speedup, rec.efficiency) {
        why.push(format!("{s:.2}× one worker, {:.0} % efficient", 100.0 * e));
    }
    why.push(if rec.workers == rec.best_workers {
        "the fastest measured".to_string()
    } else {
        format!("{:.0} % of the fastest ({} workers): more buy too little", 100.0 * rec.of_best, rec.best_workers)
    });
    Some(format!("recommended: --workers {} --queue {} ({cores} seen)\n  {}", rec.workers, rec.queue, why.join("; ")))
}

/// The table as GitHub Markdown.
pub fn markdown(r: &BenchReport) -> String {
    let mut out = format!("{}\n\n| {} |\n|{}\n", preamble(r), HEADERS.join(" | "), "---:|".repeat(HEADERS.len()));
    for row in &r.rows {
        out += &format!("| {} |\n", cells(row).join(" | "));
    }
    if let Some(line) = recommendation(r) {
        out += &format!("\n{line}\n");
    }
    out
}

/// One line per configuration with raw numbers (seconds, bytes, fractions).
pub fn csv(r: &BenchReport) -> String {
    let mut out = String::from(
        "workers,queue,mean_s,stddev_s,min_s,max_s,images,images_per_s,megapixels_per_s,speedup,efficiency,\
         serial_fraction,peak_rss_bytes,wait_input_s,decode_s,resize_s,encode_s,wait_output_s,wait_memory_s,write_s,failed\n",
    );
    let o = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.6}"));
    for row in &r.rows {
        let min = row.times_s.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = row.times_s.iter().cloned().fold(0.0, f64::max);
        let s = &row.stages;
        out += &format!(
            "{},{},{:.6},{:.6},{:.6},{:.6},{},{:.3},{:.3},{},{},{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{}\n",
            row.workers,
            row.queue,
            row.mean_s,
            row.stddev_s,
            min,
            max,
            row.images,
            row.images_per_s,
            row.megapixels_per_s,
            o(row.speedup),
            o(row.efficiency),
            o(row.serial_fraction),
            row.peak_rss_bytes.map_or(String::new(), |b| b.to_string()),
            s.wait_input_s,
            s.decode_s,
            s.resize_s,
            s.encode_s,
            s.wait_output_s,
            s.wait_memory_s,
            s.write_s,
            row.failed
        );
    }
    out
}

/// The whole report as JSON, every run's time included.
pub fn json(r: &BenchReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Writes an export atomically.
pub fn write(path: &Path, content: &str) -> std::io::Result<()> {
    crate::output::write_atomic(path, content.as_bytes())
}

/// A report of two configurations (1 and 16 workers) for tests.
#[cfg(test)]
pub(crate) fn tests_report() -> BenchReport {
    tests::report(&[1.0, 1.01, 0.99], 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::StageTimes;

    pub(crate) fn report(times: &[f64], efficiency: f64) -> BenchReport {
        let row = |workers: usize, mean_s: f64| BenchRow {
            workers,
            queue: 2 * workers,
            times_s: times.iter().map(|t| t * mean_s).collect(),
            mean_s,
            stddev_s: 0.0,
            images: 1000,
            images_per_s: 1000.0 / mean_s,
            megapixels_per_s: 12345.678,
            speedup: Some(workers as f64 * efficiency),
            efficiency: Some(efficiency),
            serial_fraction: Some(-0.123),
            peak_rss_bytes: Some(1_234_567_890),
            stages: StageTimes::default(),
            failed: 0,
        };
        BenchReport {
            job: "resize 1600x1600 inside, quality 85".into(),
            input_megapixels: 388.5,
            cores: 16,
            rows: vec![row(1, 123.456), row(16, 12.345)],
        }
    }

    #[test]
    fn the_fewest_workers_within_five_percent_of_the_fastest_are_recommended() {
        let mut r = report(&[1.0], 0.9);
        let rec = r.recommend().unwrap();
        assert_eq!((rec.workers, rec.queue, rec.best_workers), (16, 32, 16));
        assert!(text(&r, false).contains("recommended: --workers 16 --queue 32 (16 cores seen)\n  14.40× one worker, 90 % efficient; the fastest measured"));
        // 8 workers at 96 % of 16 workers' throughput: 8 it is.
        let mut eight = r.rows[1].clone();
        (eight.workers, eight.queue, eight.mean_s) = (8, 16, 12.345 / 0.96);
        eight.images_per_s = 1000.0 / eight.mean_s;
        r.rows.insert(1, eight.clone());
        let rec = r.recommend().unwrap();
        assert_eq!((rec.workers, rec.best_workers), (8, 16));
        assert!((rec.of_best - 0.96).abs() < 1e-9);
        assert!(text(&r, false).contains("96 % of the fastest (16 workers): more buy too little"));
        // At 94 % it is not as good.
        r.rows[1].images_per_s = 0.94 * r.rows[2].images_per_s;
        assert_eq!(r.recommend().unwrap().workers, 16);
        // A configuration with failures is never recommended.
        r.rows[2].failed = 1;
        assert_eq!(r.recommend().unwrap().workers, 8);
    }

    #[test]
    fn tables_fit_100_columns_and_one_run_has_no_spread() {
        let text = text(&report(&[1.0, 1.01, 0.99], 1.14), false);
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
        assert!(text.contains("3 runs per configuration") && !text.contains("warning"), "{text}");
        let one = text_of_one_run();
        assert!(one.contains("1 run per configuration"), "{one}");
        assert!(one.contains("± –") && !one.contains("± 0.000"), "{one}");
        assert!(one.contains("warning: 1 run per configuration"), "{one}");
        let wide = super::text(&report(&[1.0, 1.01, 0.99], 1.14), true);
        assert!(wide.lines().nth(1).unwrap().contains("serial fraction  peak RSS  wait walker"), "{wide}");
    }

    fn text_of_one_run() -> String {
        text(&report(&[1.0], 1.14), false)
    }
}
