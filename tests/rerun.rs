//! Re-runs resume, --force redoes, --dry-run writes nothing, outputs never
//! collide or overwrite inputs.
mod common;
use common::*;
use std::fs;
use std::time::{Duration, SystemTime};

#[test]
fn rerun_skips_up_to_date_outputs_and_force_redoes_them() {
    let base = tempfile::tempdir().unwrap();
    let (photos, out) = (base.path().join("photos"), base.path().join("out"));
    copy_dir(&common::photos(), &photos);
    let run = |extra: &[&str]| {
        let o = bin().args(["thumbs", "--json", "-o"]).arg(&out).args(extra).arg(&photos).assert().success();
        json(&o.get_output().stdout)
    };
    let first = run(&[]);
    assert_eq!(first["summary"]["ok"], 6);
    assert!(first["summary"].get("redone").is_none(), "nothing was there: nothing redone");
    let lake = out.join("lake_256.jpg");
    let mtime = fs::metadata(&lake).unwrap().modified().unwrap();
    let second = run(&[]);
    assert_eq!(second["summary"]["skipped"], 6);
    assert_eq!(second["summary"]["ok"], 0);
    assert_eq!(second["summary"]["output_bytes"], 0);
    assert_eq!(entry(&second, "lake.jpg")["status"], "skipped");
    assert_eq!(entry(&second, "lake.jpg")["outputs"][0]["width"], 256);
    assert_eq!(fs::metadata(&lake).unwrap().modified().unwrap(), mtime, "skipped output untouched");
    // An input whose modification time changed is redone, and said so;
    // an output's own time does not matter.
    let old = SystemTime::now() - Duration::from_secs(3600 * 24 * 365 * 20);
    fs::File::options().write(true).open(photos.join("lake.jpg")).unwrap().set_modified(old).unwrap();
    fs::File::options().write(true).open(out.join("2025/logo_256.png")).unwrap().set_modified(old).unwrap();
    let third = run(&[]);
    assert_eq!(third["summary"]["ok"], 1);
    assert_eq!(third["summary"]["redone"]["input_changed"], 1);
    assert_eq!(entry(&third, "lake.jpg")["status"], "ok");
    assert_eq!(entry(&third, "lake.jpg")["redone"], "input_changed");
    let forced = run(&["--force"]);
    assert_eq!(forced["summary"]["ok"], 6);
    assert_eq!(forced["summary"]["redone"]["forced"], 6);
}

#[test]
fn missing_output_of_a_set_redoes_the_file() {
    let out = tempfile::tempdir().unwrap();
    let args = ["thumbs", "--sizes", "64,128", "--json", "-o"];
    bin().args(args).arg(out.path()).arg(photos()).assert().success();
    fs::remove_file(out.path().join("lake_64.jpg")).unwrap();
    let o = bin().args(args).arg(out.path()).arg(photos()).assert().success();
    let r = json(&o.get_output().stdout);
    assert_eq!(r["summary"]["ok"], 1);
    assert!(out.path().join("lake_64.jpg").exists());
}

#[test]
fn dry_run_lists_outputs_and_writes_nothing() {
    let base = tempfile::tempdir().unwrap();
    let out = base.path().join("never");
    let o = bin().args(["thumbs", "--dry-run", "--sizes", "100", "-o"]).arg(&out).arg(photos()).assert().success();
    let stdout = String::from_utf8_lossy(&o.get_output().stdout).to_string();
    assert_eq!(stdout.lines().filter(|l| l.starts_with("would write ")).count(), 6, "{stdout}");
    assert!(stdout.contains("rotated_100.jpg (67x100)"), "{stdout}");
    assert!(!out.exists(), "dry run created the output folder");
}

#[test]
fn dry_run_lists_in_walk_order_whatever_order_workers_finish() {
    let dir = tempfile::tempdir().unwrap();
    // Header reads of very different cost: a TIFF is read whole, a JPEG
    // only its first 256 KiB, so with 4 workers they finish out of order.
    let big = image::RgbImage::from_fn(1500, 1000, |x, y| image::Rgb([x as u8, y as u8, (x ^ y) as u8]));
    for i in 0..24 {
        let name = format!("f{i:02}.{}", if i % 3 == 0 { "tif" } else { "jpg" });
        if i % 3 == 0 {
            big.save(dir.path().join(&name)).unwrap();
        } else {
            write_jpeg(&dir.path().join(&name), 64, 48);
        }
    }
    let o = bin()
        .args(["thumbs", "--dry-run", "--workers", "4", "--sizes", "32", "-o", "out"])
        .arg(dir.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&o.get_output().stdout).to_string();
    let listed: Vec<&str> = stdout.lines().map(|l| l.split(' ').nth(2).unwrap()).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed.len(), 24);
    assert_eq!(listed, sorted, "plan lines out of walk order");
}

#[test]
fn a_closed_stdout_does_not_stop_or_hang_a_dry_run() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("imgbatch"))
        .args(["thumbs", "--dry-run", "--sizes", "32", "-o", "out"])
        .arg(photos())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // as `| head -0` would
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "hung on a closed stdout");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn two_inputs_mapping_to_one_output_are_a_reported_error() {
    let dir = tempfile::tempdir().unwrap();
    write_jpeg(&dir.path().join("a.jpg"), 64, 48);
    write_png(&dir.path().join("a.png"), 32, 24);
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["resize", "--width", "100", "--format", "jpeg", "--json", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .assert()
        .code(1);
    let r = json(&o.get_output().stdout);
    assert_eq!(entry(&r, "a.jpg")["status"], "ok");
    let second = entry(&r, "a.png");
    assert_eq!(second["status"], "failed");
    assert!(second["error"].as_str().unwrap().contains("already produced by"), "{second}");
    // The first input's output is the one on disk.
    assert_eq!(dims(&out.path().join("a.jpg")), (64, 48));
    let err = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(err.contains("a.png: output"), "{err}");
}

#[test]
fn an_output_is_never_written_over_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.jpg");
    write_jpeg(&input, 64, 48);
    let before = fs::read(&input).unwrap();
    let o = bin()
        .args(["resize", "--width", "10", "--format", "jpeg", "--force", "--json", "-o"])
        .arg(dir.path())
        .arg(&input)
        .assert()
        .code(1);
    let r = json(&o.get_output().stdout);
    assert!(entry(&r, "x.jpg")["error"].as_str().unwrap().contains("over the input"));
    assert_eq!(fs::read(&input).unwrap(), before);
}

#[test]
fn output_folder_inside_the_input_is_not_walked() {
    let dir = tempfile::tempdir().unwrap();
    write_jpeg(&dir.path().join("p.jpg"), 64, 48);
    let out = dir.path().join("thumbs");
    for _ in 0..2 {
        let o = bin()
            .args(["thumbs", "--force", "--sizes", "16", "--json", "-o"])
            .arg(&out)
            .arg(dir.path())
            .assert()
            .success();
        assert_eq!(json(&o.get_output().stdout)["summary"]["total"], 1);
    }
    assert_eq!(files_under(&out), vec!["p_16.jpg"]);
}

#[test]
fn output_folder_equal_to_the_input_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_jpeg(&dir.path().join("p.jpg"), 64, 48);
    bin().args(["thumbs", "-o"]).arg(dir.path()).arg(dir.path()).assert().code(2);
}

#[test]
fn an_output_folder_inside_the_input_is_warned_of_and_left_out_by_later_runs() {
    let dir = tempfile::tempdir().unwrap();
    let photos_copy = dir.path().join("photos");
    copy_dir(&photos(), &photos_copy);
    let inputs = files_under(&photos_copy).len();
    let thumbs = photos_copy.join("thumbs");
    let o = bin().args(["thumbs", "--sizes", "64", "-o"]).arg(&thumbs).arg(&photos_copy).assert().success();
    let err = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(err.contains(&format!("warning: output folder {} is inside input", thumbs.display())), "{err}");
    assert!(thumbs.join(".imgbatch").is_dir(), "the output folder is marked");
    assert!(files_under(&thumbs).len() >= 6);
    // A later run over the same input, elsewhere: the thumbnails are not photos.
    let again = dir.path().join("again");
    let o = bin().args(["thumbs", "--sizes", "32", "--json", "-o"]).arg(&again).arg(&photos_copy).assert();
    let r = json(&o.get_output().stdout);
    assert!(files_under(&again).iter().all(|f| !f.starts_with("thumbs")), "{:?}", files_under(&again));
    assert_eq!(r["summary"]["total"].as_u64().unwrap() + r["summary"]["not_images"].as_u64().unwrap(), inputs as u64);
    let err = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(!err.contains("is inside input"), "{err}");
    // Named as the input itself, a marked folder is taken as given.
    let o = bin().args(["thumbs", "--sizes", "16", "--json", "-o"]).arg(dir.path().join("t2")).arg(&thumbs).assert();
    assert!(json(&o.get_output().stdout)["summary"]["ok"].as_u64().unwrap() >= 6);
}
