//! `imgbatch bench`: the sweep, its table and every export, on the bundled
//! photos. Only the shape and internal consistency of the numbers are
//! checked, never how fast anything was.
mod common;
use common::*;
use std::fs;

#[test]
fn sweep_prints_a_table_and_writes_every_export() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let o = bin()
        .current_dir(dir.path())
        .args(["bench", "--workers", "1,2", "--repeat", "2", "--warmup", "0", "--sizes", "64"])
        .arg("--export-json")
        .arg(p("b.json"))
        .arg("--export-csv")
        .arg(p("b.csv"))
        .arg("--export-markdown")
        .arg(p("b.md"))
        .arg("--plot")
        .arg(p("b.svg"))
        .arg(photos())
        .assert()
        .success();
    let table = String::from_utf8_lossy(&o.get_output().stdout).to_string();
    for col in
        ["workers", "time (mean ± σ)", "images/s", "MP/s", "speed-up", "efficiency", "serial fraction", "peak RSS"]
    {
        assert!(table.contains(col), "missing {col}: {table}");
    }
    for stage in ["wait walker", "decode", "resize", "encode", "wait writer", "write"] {
        assert!(table.contains(stage), "missing {stage}: {table}");
    }
    let r: serde_json::Value = serde_json::from_slice(&fs::read(p("b.json")).unwrap()).unwrap();
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let photos_count = files_under(&photos()).len() as u64;
    for (row, workers) in rows.iter().zip([1, 2]) {
        assert_eq!(row["workers"], workers);
        assert_eq!(row["queue"], 2 * workers);
        assert_eq!(row["images"], photos_count);
        assert_eq!(row["failed"], 0);
        let times: Vec<f64> = row["times_s"].as_array().unwrap().iter().map(|t| t.as_f64().unwrap()).collect();
        assert_eq!(times.len(), 2);
        let mean = row["mean_s"].as_f64().unwrap();
        assert!((mean - (times[0] + times[1]) / 2.0).abs() < 1e-9);
        let rate = row["images_per_s"].as_f64().unwrap();
        assert!((rate - photos_count as f64 / mean).abs() < 1e-6 * rate);
        assert!(row["stages"]["decode_s"].as_f64().unwrap() > 0.0);
        assert!(row["peak_rss_bytes"].as_u64().unwrap() > 1 << 20);
    }
    assert_eq!(rows[0]["speedup"], 1.0);
    assert!(rows[0]["serial_fraction"].is_null());
    let s = rows[1]["speedup"].as_f64().unwrap();
    let t1 = rows[0]["mean_s"].as_f64().unwrap();
    let t2 = rows[1]["mean_s"].as_f64().unwrap();
    assert!((s - t1 / t2).abs() < 1e-9);
    assert!((rows[1]["efficiency"].as_f64().unwrap() - s / 2.0).abs() < 1e-9);
    assert!((rows[1]["serial_fraction"].as_f64().unwrap() - (2.0 / s - 1.0)).abs() < 1e-9);

    let csv = fs::read_to_string(p("b.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("workers,queue,mean_s,stddev_s"));
    assert!(lines[2].starts_with("2,4,"));
    let md = fs::read_to_string(p("b.md")).unwrap();
    assert!(md.contains("| workers | queue |") && md.lines().filter(|l| l.starts_with("| ")).count() == 3, "{md}");
    let svg = fs::read_to_string(p("b.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("workers") && svg.contains("<polyline"), "not a chart");
    // The recommendation: the fewest workers within 5 % of the best rate.
    let rates: Vec<f64> = rows.iter().map(|r| r["images_per_s"].as_f64().unwrap()).collect();
    let best = rates.iter().cloned().fold(0.0, f64::max);
    let pick = if rates[0] >= 0.95 * best { 1 } else { 2 };
    let line = format!("recommended: --workers {pick} --queue {}", 2 * pick);
    assert!(table.contains(&line) && md.contains(&line), "{line} not in {table}");
    let stderr = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(stderr.contains(&format!("SVG chart written to {}", p("b.svg").display())), "{stderr}");
    assert!(stderr.contains(&format!("JSON written to {}", p("b.json").display())), "{stderr}");
    // Outputs stay in memory: nothing but the exports was written.
    assert_eq!(files_under(dir.path()), ["b.csv", "b.json", "b.md", "b.svg"]);
}

#[test]
fn queue_sweep_and_write_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .args(["bench", "--width", "100", "--workers", "1,2", "--queue", "1,3", "--repeat", "1", "--export-json"])
        .arg(dir.path().join("b.json"))
        .arg("--write")
        .arg(&out)
        .arg(photos())
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&o.get_output().stdout).contains("resize 100xauto"));
    let r: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("b.json")).unwrap()).unwrap();
    let configs: Vec<(u64, u64)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["workers"].as_u64().unwrap(), row["queue"].as_u64().unwrap()))
        .collect();
    assert_eq!(configs, [(1, 1), (1, 3), (2, 1), (2, 3)]);
    assert_eq!(files_under(&out).len(), files_under(&photos()).len());
    assert_eq!(dims(&out.join("lake.jpg")).0, 100);
}

#[test]
fn bench_rejects_nonsense() {
    bin().args(["bench", "--workers", "0"]).arg(photos()).assert().code(2);
    bin().args(["bench", "--repeat", "0"]).arg(photos()).assert().code(2);
    bin().args(["bench", "--queue", "0", "--workers", "1"]).arg(photos()).assert().code(2);
}

#[test]
fn a_typo_in_an_export_path_is_refused_before_the_sweep() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, file) in [("--export-json", "r.json"), ("--export-csv", "r.csv"), ("--plot", "p.svg")] {
        let missing = dir.path().join("no-such-folder").join(file);
        let o =
            bin().args(["bench", "--workers", "1", "--repeat", "1", flag]).arg(&missing).arg(photos()).assert().code(2);
        let err = String::from_utf8_lossy(&o.get_output().stderr).to_string();
        assert!(err.contains(flag) && err.contains("does not exist"), "{err}");
        // Nothing ran: no table on stdout.
        assert!(o.get_output().stdout.is_empty(), "the sweep ran before the check");
    }
}
