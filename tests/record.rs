//! The record of outputs in `-o/.imgbatch/`: a re-run redoes exactly the
//! outputs whose input or settings changed and says why, shards into one
//! folder leave a record a later run trusts, and `--delete` removes the
//! outputs of deleted inputs and nothing else.
mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};

/// A copy of the fixture photos and an output folder beside it.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let base = tempfile::tempdir().unwrap();
    let (photos, out) = (base.path().join("photos"), base.path().join("out"));
    copy_dir(&common::photos(), &photos);
    (base, photos, out)
}

fn run(photos: &Path, out: &Path, args: &[&str]) -> serde_json::Value {
    let o = bin().args(args).args(["--json", "-o"]).arg(out).arg(photos).assert().success();
    json(&o.get_output().stdout)
}

fn mtime(p: &Path) -> std::time::SystemTime {
    fs::metadata(p).unwrap().modified().unwrap()
}

fn record_files(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(out.join(".imgbatch"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    files.sort();
    files
}

#[test]
fn a_settings_change_redoes_every_output_and_says_why() {
    let (_base, photos, out) = setup();
    run(&photos, &out, &["resize", "--width", "300"]);
    let lake = out.join("lake.jpg");
    assert_eq!(dims(&lake).0, 300);
    let same = run(&photos, &out, &["resize", "--width", "300", "--workers", "1"]);
    assert_eq!(
        (same["summary"]["ok"].as_u64(), same["summary"]["skipped"].as_u64()),
        (Some(0), Some(6)),
        "--workers changes no byte"
    );
    for args in [
        &["resize", "--width", "200"][..],
        &["resize", "--width", "200", "--quality", "40"],
        &["resize", "--width", "200", "--quality", "40", "--fit", "cover", "--height", "100"],
    ] {
        let r = run(&photos, &out, args);
        assert_eq!(r["summary"]["ok"], 6, "{args:?}");
        assert_eq!(r["summary"]["redone"]["settings_changed"], 6, "{args:?}");
        assert_eq!(r["summary"]["skipped"], 0);
    }
    assert_eq!(dims(&lake), (200, 100));
    // The summary line says it in words.
    let o = bin().args(["resize", "--width", "120", "-o"]).arg(&out).arg(&photos).assert().success();
    let stderr = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(stderr.contains("6 ok (6 redone: settings changed)"), "{stderr}");
}

#[test]
fn a_size_added_to_a_thumbnail_set_makes_that_size_alone() {
    let (_base, photos, out) = setup();
    run(&photos, &out, &["thumbs", "--sizes", "64,128"]);
    let t64 = out.join("lake_64.jpg");
    let before = mtime(&t64);
    let r = run(&photos, &out, &["thumbs", "--sizes", "64,128,256"]);
    assert_eq!(r["summary"]["ok"], 6);
    assert_eq!(r["summary"]["output_files"], 6, "one new output per photo, not three");
    assert!(r["summary"].get("redone").is_none(), "new outputs are not redone ones: {}", r["summary"]);
    assert_eq!(entry(&r, "lake.jpg")["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(mtime(&t64), before, "the 64-px thumbnail was left alone");
    assert!(out.join("lake_256.jpg").is_file());
    let again = run(&photos, &out, &["thumbs", "--sizes", "64,128,256"]);
    assert_eq!(again["summary"]["skipped"], 6);
}

#[test]
fn a_changed_or_replaced_output_is_made_again() {
    let (_base, photos, out) = setup();
    run(&photos, &out, &["resize", "--width", "150"]);
    fs::write(out.join("lake.jpg"), b"edited by someone").unwrap();
    fs::remove_file(out.join("2025/logo.png")).unwrap();
    let r = run(&photos, &out, &["resize", "--width", "150"]);
    assert_eq!(r["summary"]["ok"], 2);
    assert_eq!(r["summary"]["redone"]["output_changed"], 2);
    assert_eq!(dims(&out.join("lake.jpg")).0, 150);
}

#[test]
fn outputs_without_a_record_are_made_once_more_then_recorded() {
    // What an older imgbatch left: outputs and no record of their settings.
    let (_base, photos, out) = setup();
    run(&photos, &out, &["thumbs", "--sizes", "64"]);
    for f in record_files(&out) {
        fs::remove_file(f).unwrap();
    }
    let r = run(&photos, &out, &["thumbs", "--sizes", "64"]);
    assert_eq!(r["summary"]["redone"]["unrecorded"], 6);
    let again = run(&photos, &out, &["thumbs", "--sizes", "64"]);
    assert_eq!(again["summary"]["skipped"], 6);
}

#[test]
fn shards_into_one_folder_then_a_rerun_skips_everything() {
    let (_base, photos, out) = setup();
    let mut files = 0;
    for k in 0..3 {
        let r = run(&photos, &out, &["thumbs", "--sizes", "64", "--shard", &format!("{k}/3")]);
        files += r["summary"]["ok"].as_u64().unwrap();
    }
    assert_eq!(files, 6);
    assert_eq!(record_files(&out).len(), 3, "each shard kept its own record file");
    let r = run(&photos, &out, &["thumbs", "--sizes", "64"]);
    assert_eq!((r["summary"]["skipped"].as_u64(), r["summary"]["ok"].as_u64()), (Some(6), Some(0)));
    // A run that is not a shard folds the record into one file.
    assert_eq!(record_files(&out).len(), 1);
    let r = run(&photos, &out, &["thumbs", "--sizes", "64"]);
    assert_eq!(r["summary"]["skipped"], 6);
}

#[test]
fn delete_removes_the_outputs_of_deleted_inputs_and_nothing_else() {
    let (_base, photos, out) = setup();
    run(&photos, &out, &["thumbs", "--sizes", "64,128"]);
    // Things imgbatch did not write: they must all survive.
    let foreign = [
        out.join("notes.txt"),
        out.join("2024/beach/mine.jpg"),
        out.join("2024/beach/extra_64.jpg"),
        out.join("elsewhere/a.jpg"),
    ];
    for f in &foreign {
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(f, b"not imgbatch's").unwrap();
    }
    fs::remove_file(photos.join("2024/beach/sunset.jpg")).unwrap();
    fs::remove_dir_all(photos.join("2024/city")).unwrap();
    // An output of a deleted input that someone replaced is theirs now.
    fs::write(out.join("2024/city/rotated_128.jpg"), b"replaced by hand").unwrap();
    let before = files_under(&out);
    // A dry run lists what would go, and removes nothing.
    let o = bin()
        .args(["thumbs", "--sizes", "64,128", "--delete", "--dry-run", "-o"])
        .arg(&out)
        .arg(&photos)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&o.get_output().stdout).to_string();
    let listed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("would delete ")).collect();
    assert_eq!(listed.len(), 3, "{stdout}");
    assert!(stdout.contains("sunset_64.jpg") && stdout.contains("rotated_64.jpg"), "{stdout}");
    assert!(!stdout.contains("rotated_128.jpg"), "a replaced output is not imgbatch's: {stdout}");
    assert_eq!(files_under(&out), before, "a dry run deletes nothing");
    // With --json, stdout is the report alone: the list is in it.
    let dry = run(&photos, &out, &["thumbs", "--sizes", "64,128", "--delete", "--dry-run"]);
    assert_eq!(dry["summary"]["deleted"], 3);
    assert_eq!(files_under(&out), before);
    let r = run(&photos, &out, &["thumbs", "--sizes", "64,128", "--delete"]);
    assert_eq!(r["summary"]["deleted"], 3);
    assert_eq!(r["deleted"].as_array().unwrap().len(), 3);
    for gone in ["2024/beach/sunset_64.jpg", "2024/beach/sunset_128.jpg", "2024/city/rotated_64.jpg"] {
        assert!(!out.join(gone).exists(), "{gone}");
    }
    for f in &foreign {
        assert_eq!(fs::read(f).unwrap(), b"not imgbatch's", "{}", f.display());
    }
    assert_eq!(fs::read(out.join("2024/city/rotated_128.jpg")).unwrap(), b"replaced by hand");
    assert!(out.join("lake_64.jpg").is_file() && out.join("2025/logo_128.png").is_file());
    // Nothing left to delete, and the others are still up to date.
    let again = run(&photos, &out, &["thumbs", "--sizes", "64,128", "--delete"]);
    assert_eq!(again["summary"]["deleted"], 0);
    assert_eq!(again["summary"]["skipped"], 4);
}

#[test]
fn without_delete_nothing_is_removed() {
    let (_base, photos, out) = setup();
    run(&photos, &out, &["thumbs", "--sizes", "64"]);
    fs::remove_file(photos.join("lake.jpg")).unwrap();
    let r = run(&photos, &out, &["thumbs", "--sizes", "64"]);
    assert_eq!(r["summary"]["deleted"], 0);
    assert!(out.join("lake_64.jpg").is_file());
}
