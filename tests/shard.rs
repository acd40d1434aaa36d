//! `--shard K/N`: a job split over processes gives exactly the outputs of
//! one run, every input in exactly one shard.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{bin, files_under, json, write_jpeg, write_png};

/// A photo folder of 24 images in nested folders, plus a sidecar.
fn folder(dir: &Path) {
    for i in 0..24 {
        let sub = dir.join(format!("{}/{:02}", 2020 + i % 3, i % 5));
        fs::create_dir_all(&sub).unwrap();
        if i % 4 == 0 {
            write_png(&sub.join(format!("scan_{i}.png")), 40 + i, 30);
        } else {
            write_jpeg(&sub.join(format!("IMG_{i:04}.JPG")), 64, 48 + i);
        }
    }
    fs::write(dir.join("2020/notes.txt"), "not an image").unwrap();
}

/// Every file under `dir` with its content.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(dir).into_iter().map(|f| (f.clone(), fs::read(dir.join(&f)).unwrap())).collect()
}

fn thumbs(input: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    bin().args(["thumbs", "--sizes", "32,16", "--json", "-o"]).arg(out).arg(input).args(extra).assert()
}

fn inputs_of(report: &serde_json::Value) -> Vec<String> {
    report["files"].as_array().unwrap().iter().map(|f| f["input"].as_str().unwrap().to_string()).collect()
}

#[test]
fn n_shards_give_the_outputs_of_one_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photos");
    folder(&input);
    let single_out = dir.path().join("single");
    let single = json(&thumbs(&input, &single_out, &[]).success().get_output().stdout);
    let expected = contents(&single_out);
    assert_eq!(expected.len(), 48);
    for n in [1, 3, 4, 7] {
        let out = dir.path().join(format!("sharded{n}"));
        let mut seen = Vec::new();
        let mut ok = 0;
        for k in 0..n {
            let r = json(&thumbs(&input, &out, &["--shard", &format!("{k}/{n}")]).success().get_output().stdout);
            assert_eq!(r["summary"]["shard"], format!("{k}/{n}"));
            seen.extend(inputs_of(&r));
            ok += r["summary"]["ok"].as_u64().unwrap();
        }
        seen.sort();
        let all = inputs_of(&single);
        assert_eq!(seen, all, "{n} shards: every input in exactly one shard report");
        assert_eq!(ok, single["summary"]["ok"].as_u64().unwrap());
        assert_eq!(contents(&out), expected, "{n} shards: outputs differ from one run");
    }
}

#[test]
fn a_shard_reports_only_its_own_files_and_says_which_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photos");
    folder(&input);
    let out = dir.path().join("out");
    let a = thumbs(&input, &out, &["--shard", "1/3"]).success();
    let r = json(&a.get_output().stdout);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr);
    assert!(stderr.contains("thumbs (shard 1/3): "), "{stderr}");
    let mine = inputs_of(&r);
    assert!(!mine.is_empty() && mine.len() < 24, "{mine:?}");
    // Nothing of the other shards: not skipped, not failed, not counted.
    assert_eq!(r["summary"]["total"].as_u64().unwrap() as usize, mine.len());
    let written: Vec<String> = files_under(&out);
    assert_eq!(written.len(), 2 * mine.len());
}

#[test]
fn auto_takes_the_index_from_the_scheduler_and_refuses_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photos");
    folder(&input);
    let by_hand = json(&thumbs(&input, &dir.path().join("a"), &["--shard", "2/4"]).success().get_output().stdout);
    for (var, value) in
        [("JOB_COMPLETION_INDEX", "2"), ("AWS_BATCH_JOB_ARRAY_INDEX", "2"), ("SLURM_ARRAY_TASK_ID", "2")]
    {
        let out = dir.path().join(var);
        let a = bin()
            .env_remove("SLURM_ARRAY_TASK_MIN")
            .env(var, value)
            .args(["thumbs", "--sizes", "32,16", "--json", "--shard", "auto/4", "-o"])
            .arg(&out)
            .arg(&input)
            .assert()
            .success();
        assert_eq!(inputs_of(&json(&a.get_output().stdout)), inputs_of(&by_hand), "{var}");
    }
    // Slurm arrays may start anywhere: --array=1-4 is shards 0 to 3.
    let a = bin()
        .env("SLURM_ARRAY_TASK_ID", "3")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .args(["thumbs", "--sizes", "32,16", "--json", "--shard", "auto/4", "-o"])
        .arg(dir.path().join("slurm1"))
        .arg(&input)
        .assert()
        .success();
    assert_eq!(inputs_of(&json(&a.get_output().stdout)), inputs_of(&by_hand));
    let mut cmd = bin();
    for v in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"] {
        cmd.env_remove(v);
    }
    let refused =
        cmd.args(["thumbs", "--shard", "auto/4", "-o"]).arg(dir.path().join("x")).arg(&input).assert().code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr);
    for v in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"] {
        assert!(stderr.contains(v), "{stderr}");
    }
    let too_big = bin().args(["thumbs", "--shard", "4/4", "-o"]).arg(dir.path().join("y")).arg(&input).assert().code(2);
    assert!(String::from_utf8_lossy(&too_big.get_output().stderr).contains("shards are 0 to 3"));
    assert!(!dir.path().join("x").exists() && !dir.path().join("y").exists());
}

#[test]
fn a_shard_run_again_redoes_only_its_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photos");
    folder(&input);
    let out = dir.path().join("out");
    let first = json(&thumbs(&input, &out, &["--shard", "0/2"]).success().get_output().stdout);
    let mine = inputs_of(&first);
    // As if the shard had been killed before its last outputs were written.
    let lost: Vec<String> = files_under(&out).into_iter().take(3).collect();
    for f in &lost {
        fs::remove_file(out.join(f)).unwrap();
    }
    let again = json(&thumbs(&input, &out, &["--shard", "0/2"]).success().get_output().stdout);
    assert_eq!(inputs_of(&again), mine);
    let redone = again["summary"]["ok"].as_u64().unwrap();
    assert!((2..=3).contains(&redone), "{redone} redone for 3 lost outputs of at most 3 inputs");
    assert_eq!(again["summary"]["skipped"].as_u64().unwrap() as usize, mine.len() - redone as usize);
    for f in &lost {
        assert!(out.join(f).exists(), "{f} not written again");
    }
}

#[test]
fn report_merge_makes_the_shard_reports_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photos");
    folder(&input);
    // One broken photo: the merged run failed as a single run would have.
    fs::write(input.join("2021/broken.jpg"), b"\xFF\xD8\xFF\xE0 not really").unwrap();
    let single = json(&thumbs(&input, &dir.path().join("single"), &[]).code(1).get_output().stdout);
    let out = dir.path().join("out");
    let mut parts = Vec::new();
    for k in 0..4 {
        let report = dir.path().join(format!("part{k}.json"));
        let shard = format!("{k}/4");
        let a = thumbs(&input, &out, &["--shard", &shard, "--report", report.to_str().unwrap()]);
        assert!(matches!(a.get_output().status.code(), Some(0 | 1)));
        parts.push(report);
    }
    let merged_path = dir.path().join("all.json");
    let a = bin().args(["report", "merge", "-o"]).arg(&merged_path).args(&parts).assert().code(1);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr);
    assert!(stderr.contains("merged 4 reports: 24 ok, 0 skipped, 1 failed"), "{stderr}");
    let merged: serde_json::Value = serde_json::from_slice(&fs::read(&merged_path).unwrap()).unwrap();
    for key in ["total", "ok", "skipped", "failed", "output_files", "output_bytes", "not_images"] {
        assert_eq!(merged["summary"][key], single["summary"][key], "{key}");
    }
    assert_eq!(inputs_of(&merged), inputs_of(&single));
    assert!(merged["summary"].get("shard").is_none());
    // The same part twice is an overlap, named, not a doubled count.
    let twice = bin().args(["report", "merge"]).args([&parts[0], &parts[1], &parts[0]]).assert().code(2);
    let stderr = String::from_utf8_lossy(&twice.get_output().stderr);
    assert!(stderr.contains("in more than one report"), "{stderr}");
    let not_json = dir.path().join("notes.txt");
    fs::write(&not_json, "hello").unwrap();
    let bad = bin().args(["report", "merge"]).arg(&not_json).assert().code(2);
    assert!(String::from_utf8_lossy(&bad.get_output().stderr).contains("is not an imgbatch JSON report"));
}

#[test]
fn files_from_takes_exactly_the_listed_files_where_a_full_run_puts_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photos");
    folder(&input);
    let single_out = dir.path().join("single");
    thumbs(&input, &single_out, &[]).success();
    let all = files_under(&input);
    let listed: Vec<&String> = all.iter().filter(|f| f.ends_with(".JPG")).take(5).collect();
    let list = dir.path().join("list.txt");
    fs::write(&list, listed.iter().map(|f| format!("{f}\n")).collect::<String>()).unwrap();
    let out = dir.path().join("out");
    let r = json(&thumbs(&input, &out, &["--files-from", list.to_str().unwrap()]).success().get_output().stdout);
    let mut want: Vec<String> = listed.iter().map(|f| input.join(f).to_string_lossy().into_owned()).collect();
    want.sort();
    assert_eq!(inputs_of(&r), want);
    // The same bytes as the full run wrote for those files, at the same places.
    let got = contents(&out);
    assert_eq!(got.len(), 10);
    let single = contents(&single_out);
    for (f, bytes) in &got {
        assert_eq!(Some(bytes), single.get(f), "{f}");
    }
    // NUL-separated from stdin, shards applying to the list.
    let nul: Vec<u8> = listed.iter().flat_map(|f| f.bytes().chain([0])).collect();
    let mut seen = Vec::new();
    for k in 0..2 {
        let a = bin()
            .args([
                "thumbs",
                "--sizes",
                "32,16",
                "--json",
                "--files-from",
                "-",
                "-0",
                "--shard",
                &format!("{k}/2"),
                "-o",
            ])
            .arg(dir.path().join("nul"))
            .arg(&input)
            .write_stdin(nul.clone())
            .assert()
            .success();
        seen.extend(inputs_of(&json(&a.get_output().stdout)));
    }
    seen.sort();
    assert_eq!(seen, want);
    // A listed file that is gone is that file's error; one outside the folder is refused.
    fs::write(&list, "2020/00/gone.jpg\n").unwrap();
    let gone = json(&thumbs(&input, &out, &["--files-from", list.to_str().unwrap()]).code(1).get_output().stdout);
    assert_eq!(gone["summary"]["failed"], 1);
    fs::write(&list, "../elsewhere.jpg\n").unwrap();
    let a = bin().args(["thumbs", "--files-from"]).arg(&list).arg("-o").arg(&out).arg(&input).assert().code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("is not under the input folder"));
}

#[test]
fn retry_failed_runs_again_only_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photos");
    folder(&input);
    let broken = input.join("2021/01/broken.jpg");
    fs::write(&broken, b"\xFF\xD8\xFF\xE0 cut").unwrap();
    let out = dir.path().join("out");
    let report = dir.path().join("first.json");
    thumbs(&input, &out, &["--report", report.to_str().unwrap()]).code(1);
    // Fixed since: a real photo in its place.
    write_jpeg(&broken, 64, 48);
    let again =
        json(&thumbs(&input, &out, &["--retry-failed", report.to_str().unwrap()]).success().get_output().stdout);
    assert_eq!(inputs_of(&again), [broken.to_string_lossy()]);
    assert_eq!(again["summary"]["ok"], 1);
    assert!(out.join("2021/01/broken_32.jpg").exists());
}

#[test]
fn two_inputs_for_one_output_are_reported_once_not_written_by_two_shards() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photos");
    folder(&input);
    // Both become trip_32.jpg with --format jpeg.
    write_jpeg(&input.join("2020/trip.jpg"), 64, 48);
    write_png(&input.join("2020/trip.png"), 64, 48);
    let out = dir.path().join("out");
    let mut collisions = 0;
    for k in 0..4 {
        let shard = format!("{k}/4");
        let a = thumbs(&input, &out, &["--format", "jpeg", "--shard", &shard]);
        let r = json(&a.get_output().stdout);
        let names: Vec<String> = inputs_of(&r);
        let both = names.iter().filter(|n| n.contains("/2020/trip.")).count();
        assert!(both == 0 || both == 2, "shard {k} has {both} of the pair");
        collisions += r["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["error"].as_str().is_some_and(|e| e.contains("trip")))
            .count();
    }
    assert_eq!(collisions, 1);
}

#[test]
fn files_from_does_not_follow_a_link_out_of_the_input_folder_without_dash_l() {
    let dir = tempfile::tempdir().unwrap();
    let (input, outside) = (dir.path().join("photos"), dir.path().join("outside"));
    fs::create_dir_all(&input).unwrap();
    fs::create_dir_all(&outside).unwrap();
    write_jpeg(&input.join("mine.jpg"), 64, 48);
    write_jpeg(&outside.join("secret.jpg"), 64, 48);
    std::os::unix::fs::symlink(&outside, input.join("esc")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.jpg"), input.join("link.jpg")).unwrap();
    let list = dir.path().join("list.txt");
    fs::write(&list, "mine.jpg\nesc/secret.jpg\nlink.jpg\n").unwrap();
    let out = dir.path().join("out");
    let r = json(&thumbs(&input, &out, &["--files-from", list.to_str().unwrap()]).code(1).get_output().stdout);
    assert_eq!(common::entry(&r, "mine.jpg")["status"], "ok");
    for name in ["esc/secret.jpg", "link.jpg"] {
        let e = common::entry(&r, name);
        assert_eq!(e["status"], "failed", "{e}");
        assert!(e["error"].as_str().unwrap().contains("symbolic link"), "{e}");
    }
    assert!(!out.join("esc").exists() && !out.join("link_32.jpg").exists());
    // With -L the list follows links, as the walk does.
    let out = dir.path().join("out-follow");
    thumbs(&input, &out, &["-L", "--files-from", list.to_str().unwrap()]).success();
    assert!(out.join("esc/secret_32.jpg").exists());
}
