//! The bench table on the terminal and its exports: Markdown, CSV, JSON.

use std::path::Path;

use super::{BenchReport, BenchRow};
use crate::units::human_bytes;

const HEADERS: [&str; 15] = [
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
    "write",
];

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
        format!("{:.3} s ± {:.3} s", r.mean_s, r.stddev_s),
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
        pct(s.write_s, r.mean_s),
    ]
}

fn preamble(r: &BenchReport) -> String {
    let images = r.rows.first().map_or(0, |row| row.images);
    let runs = r.rows.first().map_or(0, |row| row.times_s.len());
    format!(
        "{}: {images} images, {:.1} MP per run, {runs} runs per configuration, {} cores",
        r.job, r.input_megapixels, r.cores
    )
}

/// The table as aligned plain text, for the terminal.
pub fn text(r: &BenchReport) -> String {
    let rows: Vec<Vec<String>> = r.rows.iter().map(cells).collect();
    let width = |i: usize| rows.iter().map(|c| c[i].chars().count()).chain([HEADERS[i].chars().count()]).max();
    let widths: Vec<usize> = (0..HEADERS.len()).map(|i| width(i).unwrap_or(0)).collect();
    let line = |c: &[String]| {
        c.iter().zip(&widths).map(|(s, w)| format!("{s:>w$}")).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    let mut out = preamble(r) + "\n";
    let headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
    out += &line(&headers);
    out.push('\n');
    for c in &rows {
        out += &line(c);
        out.push('\n');
    }
    out += "stage columns: share of worker time (workers × wall); write: share of the writer thread's wall time\n";
    if r.rows.iter().any(|row| row.failed > 0) {
        out += "warning: some files failed; their time is not representative\n";
    }
    out
}

/// The table as GitHub Markdown.
pub fn markdown(r: &BenchReport) -> String {
    let mut out = format!("{}\n\n| {} |\n|{}\n", preamble(r), HEADERS.join(" | "), "---:|".repeat(HEADERS.len()));
    for row in &r.rows {
        out += &format!("| {} |\n", cells(row).join(" | "));
    }
    out
}

/// One line per configuration with raw numbers (seconds, bytes, fractions).
pub fn csv(r: &BenchReport) -> String {
    let mut out = String::from(
        "workers,queue,mean_s,stddev_s,min_s,max_s,images,images_per_s,megapixels_per_s,speedup,efficiency,\
         serial_fraction,peak_rss_bytes,wait_input_s,decode_s,resize_s,encode_s,wait_output_s,write_s,failed\n",
    );
    let o = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.6}"));
    for row in &r.rows {
        let min = row.times_s.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = row.times_s.iter().cloned().fold(0.0, f64::max);
        let s = &row.stages;
        out += &format!(
            "{},{},{:.6},{:.6},{:.6},{:.6},{},{:.3},{:.3},{},{},{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{}\n",
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
