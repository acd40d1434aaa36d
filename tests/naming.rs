//! `--name TEMPLATE`: per-size folders, a flat folder, vipsthumbnail's
//! `tn_` prefix; clashes found before any work, templates that leave `-o`
//! refused.
mod common;
use common::*;
use std::fs;

#[test]
fn per_size_folders_as_srcset_markup_expects() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["thumbs", "--sizes", "128,256", "--name", "{size}/{dir}/{stem}.{ext}", "-o"])
        .arg(out.path())
        .arg(photos())
        .assert()
        .success();
    let files = files_under(out.path());
    assert_eq!(files.len(), 12, "{files:?}");
    assert_eq!(dims(&out.path().join("128/2024/city/rotated.jpg")).1, 128);
    assert_eq!(dims(&out.path().join("256/lake.jpg")).0, 256);
    assert!(out.path().join("256/2025/logo.png").is_file());
}

#[test]
fn a_flat_folder_and_a_prefix() {
    let out = tempfile::tempdir().unwrap();
    let flat = out.path().join("flat");
    bin()
        .args(["thumbs", "--sizes", "64", "--name", "{stem}_{size}.{ext}", "-o"])
        .arg(&flat)
        .arg(photos())
        .assert()
        .success();
    let mut files = files_under(&flat);
    files.sort();
    assert_eq!(
        files,
        ["forest_64.jpeg", "lake_64.jpg", "logo_64.png", "rotated_64.jpg", "small_64.jpg", "sunset_64.jpg"]
    );
    let tn = out.path().join("tn");
    let srcset = || {
        let args =
            ["resize", "--width", "100", "--format", "webp", "--json", "--name", "{dir}/tn_{stem}-{width}w.{format}"];
        let o = bin().args(args).arg("-o").arg(&tn).arg(photos()).assert().success();
        json(&o.get_output().stdout)
    };
    let first = srcset();
    assert!(tn.join("2024/beach/tn_sunset-100w.webp").is_file(), "{:?}", files_under(&tn));
    assert_eq!(first["summary"]["output_files"], 6);
    // A re-run with the same template skips everything.
    assert_eq!(srcset()["summary"]["skipped"], 6);
}

#[test]
fn a_template_that_gives_two_inputs_one_name_is_refused_before_any_work() {
    let base = tempfile::tempdir().unwrap();
    let photos = base.path().join("photos");
    copy_dir(&common::photos(), &photos);
    fs::create_dir_all(photos.join("2023")).unwrap();
    fs::copy(photos.join("lake.jpg"), photos.join("2023/lake.jpg")).unwrap();
    let out = base.path().join("out");
    let o = bin().args(["thumbs", "--name", "{stem}_{size}.{ext}", "-o"]).arg(&out).arg(&photos).assert().code(2);
    let stderr = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(stderr.contains("2023/lake.jpg") && stderr.contains("photos/lake.jpg"), "names both: {stderr}");
    assert!(stderr.contains("lake_256.jpg"), "{stderr}");
    assert!(!out.exists(), "nothing was done");
}

#[test]
fn templates_that_leave_the_output_folder_are_refused() {
    let out = tempfile::tempdir().unwrap();
    for bad in ["../{stem}_{size}.{ext}", "/tmp/{stem}_{size}.{ext}", "{dir}/../../{stem}_{size}.{ext}"] {
        let o = bin().args(["thumbs", "--name", bad, "-o"]).arg(out.path().join("o")).arg(photos()).assert().code(2);
        let stderr = String::from_utf8_lossy(&o.get_output().stderr).to_string();
        assert!(stderr.contains("leave"), "{bad}: {stderr}");
    }
    let o = bin()
        .args(["thumbs", "--sizes", "64,128", "--name", "{stem}.{ext}", "-o"])
        .arg(out.path())
        .arg(photos())
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&o.get_output().stderr).contains("{size}"));
    assert!(files_under(out.path()).is_empty());
}
