//! Faults around the files rather than in them: stuck decoders, memory
//! budgets, full disks, files that vanish or can't be read, signals and
//! kill -9. Each test checks the per-file outcome in the JSON report, the
//! exit code, and that nothing but whole outputs was written.
mod common;
use common::*;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command as StdCommand, ExitStatus};
use std::time::{Duration, Instant};

fn exe() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("imgbatch")
}

fn good_jpeg(w: u32, h: u32) -> Vec<u8> {
    jpeg_bytes(&upright(w, h), 90, None, None)
}

fn wait_for(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("imgbatch did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until process `pid` has started its workers and its walker thread
/// has ended (read from the thread names in /proc): an event, not a guess
/// at how long the walk takes on a loaded machine.
fn wait_until_walked(pid: u32) {
    let names = || -> Vec<String> {
        let tasks = fs::read_dir(format!("/proc/{pid}/task")).map(|d| d.flatten().collect()).unwrap_or_else(|_| vec![]);
        tasks
            .iter()
            .filter_map(|t| fs::read_to_string(t.path().join("comm")).ok())
            .map(|n| n.trim().to_string())
            .collect()
    };
    let start = Instant::now();
    loop {
        let n = names();
        if n.iter().any(|t| t.starts_with("imgbatch-worker")) && !n.iter().any(|t| t == "imgbatch-walker") {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the walk never ended: {n:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The input ending in `name` failed with an error that mentions `reason`.
fn assert_failed(report: &serde_json::Value, name: &str, reason: &str) {
    let e = entry(report, name);
    assert_eq!(e["status"], "failed", "{e}");
    assert!(e["error"].as_str().unwrap().contains(reason), "{e}");
}

/// Every file under `dir` has a final name (no temporaries) and decodes whole.
fn assert_whole_outputs(dir: &Path) -> Vec<String> {
    let files = files_under(dir);
    for f in &files {
        assert!(!f.contains(".part") && !f.starts_with('.'), "temporary file left: {f}");
        image::open(dir.join(f)).unwrap_or_else(|e| panic!("{f} is not a whole image: {e}"));
    }
    files
}

#[test]
fn a_stuck_file_times_out_and_a_vanished_one_fails_while_the_rest_finish() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a_stuck.jpg", "b_gone.jpg", "c.jpg", "d.jpg"] {
        fs::write(dir.path().join(name), good_jpeg(64, 48)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    // One worker: it hangs on a_stuck while the walker has already queued
    // the others; b_gone disappears in the meantime.
    let mut child = StdCommand::new(exe())
        .env("IMGBATCH_WORKER", faulty())
        .env("IMGBATCH_INJECT_HANG", "a_stuck")
        .args(["thumbs", "--sizes", "32", "--workers", "1", "--queue", "4", "--timeout", "2", "--json", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the walker thread has ended, every file is planned and queued.
    wait_until_walked(child.id());
    fs::remove_file(dir.path().join("b_gone.jpg")).unwrap();
    let status = wait_for(&mut child, Duration::from_secs(60));
    let output = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(1));
    let r = json(&output.stdout);
    assert_failed(&r, "a_stuck.jpg", "timed out after 2 s");
    assert_failed(&r, "b_gone.jpg", "No such file");
    assert_eq!(entry(&r, "c.jpg")["status"], "ok");
    assert_eq!(entry(&r, "d.jpg")["status"], "ok");
    assert_eq!(assert_whole_outputs(out.path()), ["c_32.jpg", "d_32.jpg"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().filter(|l| l.contains("a_stuck.jpg")).count(), 1, "{stderr}");
}

#[test]
fn max_memory_queues_large_images_and_refuses_one_that_can_never_fit() {
    let dir = tempfile::tempdir().unwrap();
    // 1400x1400 RGB: 5.9 MB decoded, about 11 MB with its file and resize
    // buffers; 2500x2500: 18.75 MB decoded.
    for i in 0..4 {
        fs::write(dir.path().join(format!("m{i}.png")), noise_png(1400, 1400, i)).unwrap();
    }
    fs::write(dir.path().join("huge.png"), noise_png(2500, 2500, 9)).unwrap();
    let out = tempfile::tempdir().unwrap();
    // Room for one of the others at a time, never for the huge one. At
    // 1000 px wide they are decoded whole (a 100-px output would let the
    // PNGs shrink row by row, holding a fraction of that).
    let o = bin()
        .args(["resize", "--width", "1000", "--workers", "4", "--max-memory", "16M", "--json", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .assert()
        .code(1);
    let r = json(&o.get_output().stdout);
    for i in 0..4 {
        assert_eq!(entry(&r, &format!("m{i}.png"))["status"], "ok");
    }
    assert_failed(&r, "huge.png", "over --max-memory (16 MiB)");
    assert_eq!(assert_whole_outputs(out.path()).len(), 4);
    // Four workers took the four images together: all but one had to wait.
    let waited = r["summary"]["stages"]["wait_memory_s"].as_f64().unwrap();
    assert!(waited > 0.0, "no worker waited for memory: {}", r["summary"]["stages"]);
    // With a budget big enough, the same image goes through.
    let out2 = tempfile::tempdir().unwrap();
    bin()
        .args(["resize", "--width", "1000", "--max-memory", "200M", "-o"])
        .arg(out2.path())
        .arg(dir.path().join("huge.png"))
        .assert()
        .success();
}

#[test]
fn a_full_disk_stops_the_run_early_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..30 {
        fs::write(dir.path().join(format!("n{i:02}.png")), noise_png(200, 200, i)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let mut cmd = StdCommand::new(exe());
    cmd.args(["resize", "--width", "200", "--format", "png", "--workers", "2", "--json", "-o"])
        .arg(out.path())
        .arg(dir.path());
    // Any file over 8 KiB fails with EFBIG, as on a full disk every write does.
    limit_file_size(&mut cmd, 8192);
    let o = assert_cmd::Command::from_std(cmd).timeout(Duration::from_secs(60)).assert().code(2);
    let r = json(&o.get_output().stdout);
    let stopped = r["stopped"].as_str().expect("report says why it stopped");
    assert!(stopped.contains("File too large"), "{stopped}");
    // Five failures in a row stop it; writes already under way when the
    // fifth came back may fail too, and are reported.
    let failed = r["summary"]["failed"].as_u64().unwrap();
    assert!(failed >= 5, "stops after 5 failed writes in a row, not {failed}");
    assert_eq!(r["summary"]["ok"], 0);
    assert!(r["summary"]["total"].as_u64().unwrap() < 30, "did not go on through every file");
    for f in r["files"].as_array().unwrap() {
        assert!(f["error"].as_str().unwrap().starts_with("cannot write"), "{f}");
    }
    assert_eq!(files_under(out.path()), Vec::<String>::new(), "nothing left behind");
}

#[test]
fn an_output_folder_that_cannot_be_made_fails_only_its_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("blocked")).unwrap();
    fs::write(dir.path().join("blocked/x.jpg"), good_jpeg(64, 48)).unwrap();
    fs::write(dir.path().join("fine.jpg"), good_jpeg(64, 48)).unwrap();
    let out = tempfile::tempdir().unwrap();
    // A file where the output sub-folder should go.
    fs::write(out.path().join("blocked"), b"in the way").unwrap();
    let o = bin().args(["thumbs", "--sizes", "32", "--json", "-o"]).arg(out.path()).arg(dir.path()).assert().code(1);
    let r = json(&o.get_output().stdout);
    assert_failed(&r, "blocked/x.jpg", "cannot write");
    assert_eq!(entry(&r, "fine.jpg")["status"], "ok");
    assert!(r.get("stopped").is_none());
    assert_eq!(files_under(out.path()), ["blocked", "fine_32.jpg"]);
}

#[test]
fn unreadable_files_and_folders_are_reported_and_inputs_untouched() {
    use std::os::unix::fs::PermissionsExt;
    let root = unsafe { libc::geteuid() } == 0;
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let good = good_jpeg(64, 48);
    fs::write(dir.path().join("ok.jpg"), &good).unwrap();
    fs::write(dir.path().join("secret.jpg"), &good).unwrap();
    fs::create_dir(dir.path().join("locked")).unwrap();
    fs::write(dir.path().join("locked/inside.jpg"), &good).unwrap();
    fs::set_permissions(dir.path().join("ok.jpg"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(dir.path().join("secret.jpg"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(dir.path().join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let before = fs::metadata(dir.path().join("ok.jpg")).unwrap().modified().unwrap();
    let out = tempfile::tempdir().unwrap();
    fs::set_permissions(out.path(), fs::Permissions::from_mode(0o777)).unwrap();
    // Permissions don't bind root: run as nobody so they do, from a copy of
    // the binary that nobody may run wherever the checkout lives.
    let bin_dir = tempfile::tempdir().unwrap();
    let exe = if root {
        let copy = bin_dir.path().join("imgbatch");
        fs::copy(exe(), &copy).unwrap();
        fs::set_permissions(bin_dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
        copy
    } else {
        exe()
    };
    let mut cmd = StdCommand::new(&exe);
    cmd.args(["thumbs", "--sizes", "32", "--json", "-o"]).arg(out.path()).arg(dir.path());
    if root {
        cmd.uid(65534).gid(65534);
    }
    // A just-written binary can be briefly "busy" if another test forked meanwhile.
    let output = (0..20)
        .find_map(|_| match cmd.output() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(50));
                None
            }
            other => Some(other.unwrap()),
        })
        .expect("binary stayed busy");
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let r = json(&output.stdout);
    assert_eq!(entry(&r, "ok.jpg")["status"], "ok");
    assert_failed(&r, "secret.jpg", "Permission denied");
    assert_failed(&r, "locked", "Permission denied");
    assert_eq!(files_under(out.path()), ["ok_32.jpg"]);
    assert_eq!(fs::read(dir.path().join("ok.jpg")).unwrap(), good);
    assert_eq!(fs::metadata(dir.path().join("ok.jpg")).unwrap().modified().unwrap(), before);
    // A read-only output folder is refused before any file is touched.
    let ro = tempfile::tempdir().unwrap();
    fs::set_permissions(ro.path(), fs::Permissions::from_mode(0o555)).unwrap();
    let mut cmd = StdCommand::new(&exe);
    cmd.args(["thumbs", "-o"]).arg(ro.path()).arg(dir.path().join("ok.jpg"));
    if root {
        cmd.uid(65534).gid(65534);
    }
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not writable: Permission denied"), "{stderr}");
    assert_eq!(files_under(ro.path()), Vec::<String>::new());
    // Let the temporary folder be cleaned up.
    fs::set_permissions(dir.path().join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
}

/// Many copies of a fixture, slow enough to interrupt mid-run.
fn many_inputs(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lake = fs::read(photos().join("lake.jpg")).unwrap();
    for i in 0..n {
        fs::write(dir.path().join(format!("p{i:03}.jpg")), &lake).unwrap();
    }
    dir
}

fn spawn_resize(input: &Path, out: &Path, extra: &[&str]) -> Child {
    StdCommand::new(exe())
        .args(["resize", "--width", "1500", "--workers", "1", "--quiet", "-o"])
        .arg(out)
        .args(extra)
        .arg(input)
        .spawn()
        .unwrap()
}

/// Waits until at least `n` outputs exist under `dir`.
fn wait_for_outputs(dir: &Path, n: usize) {
    let start = Instant::now();
    while files_under(dir).iter().filter(|f| !f.starts_with('.')).count() < n {
        assert!(start.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until the record in `dir/.imgbatch` names `n` outputs.
fn wait_for_records(dir: &Path, n: usize) {
    let start = Instant::now();
    let lines = || {
        let Ok(files) = fs::read_dir(dir.join(".imgbatch")) else { return 0 };
        let records = files.flatten().filter(|f| f.file_name().to_string_lossy().ends_with(".tsv"));
        records
            .map(|f| fs::read_to_string(f.path()).unwrap_or_default().lines().filter(|l| !l.starts_with('#')).count())
            .sum()
    };
    while lines() < n {
        assert!(start.elapsed() < Duration::from_secs(60), "no record");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_stops_like_sigint_with_a_report() {
    let dir = many_inputs(200);
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let o = out.path().join("o");
    let mut child = spawn_resize(dir.path(), &o, &["--report", report.to_str().unwrap()]);
    wait_for_outputs(&o, 2);
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert_eq!(wait_for(&mut child, Duration::from_secs(20)).code(), Some(130));
    let r: serde_json::Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["interrupted"], true);
    let done = r["summary"]["ok"].as_u64().unwrap();
    assert!((2..200).contains(&done), "{done} files done");
    assert_eq!(assert_whole_outputs(&o).len() as u64, done);
}

#[test]
fn a_second_sigint_exits_at_once_leaving_only_whole_files() {
    let dir = many_inputs(20);
    let out = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let o = out.path().join("o");
    // p002 never finishes: after the first signal the run would wait out
    // the 2 s grace for it, then write its report.
    let mut child = StdCommand::new(exe())
        .env("IMGBATCH_WORKER", faulty())
        .env("IMGBATCH_INJECT_HANG", "p002")
        .args(["resize", "--width", "300", "--workers", "1", "--timeout", "0", "--quiet", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(&o)
        .arg(dir.path())
        .spawn()
        .unwrap();
    wait_for_outputs(&o, 2);
    // Two different signals: two SIGINTs sent at once merge into one.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    assert_eq!(wait_for(&mut child, Duration::from_secs(20)).code(), Some(130));
    assert_eq!(assert_whole_outputs(&o).len(), 2);
    // At once: the first signal alone ends with a report; the second exits
    // before the run gets there.
    assert!(!report.exists(), "the second signal let the run finish and write its report");
}

#[test]
fn after_kill_9_the_next_run_does_only_the_rest() {
    let dir = many_inputs(12);
    let out = tempfile::tempdir().unwrap();
    // p007 never finishes, so the kill lands mid-run at a known point.
    let mut child = StdCommand::new(exe())
        .env("IMGBATCH_WORKER", faulty())
        .env("IMGBATCH_INJECT_HANG", "p007")
        .args(["resize", "--width", "300", "--workers", "1", "--timeout", "0", "--quiet", "-o"])
        .arg(out.path())
        .arg(dir.path())
        .spawn()
        .unwrap();
    wait_for_outputs(out.path(), 7);
    // The record is written just after each output's rename: kill once it
    // names all seven, so the test knows what the next run will skip.
    wait_for_records(out.path(), 7);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = assert_whole_outputs(out.path());
    assert_eq!(done.len(), 7, "{done:?}");
    let o = bin().args(["resize", "--width", "300", "--json", "-o"]).arg(out.path()).arg(dir.path()).assert().success();
    let r = json(&o.get_output().stdout);
    assert_eq!(r["summary"]["skipped"], 7);
    assert_eq!(r["summary"]["ok"], 5);
    assert_eq!(entry(&r, "p007.jpg")["status"], "ok");
    assert_eq!(assert_whole_outputs(out.path()).len(), 12);
}

#[test]
fn ctrl_c_does_not_wait_for_a_stuck_decoder() {
    let dir = many_inputs(30);
    // 30 files, queue 2: the walker is blocked on the full queue behind the
    // stuck worker, and must not hold the exit either.
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let o = out.path().join("o");
    // No --timeout: only the cancel can end this run.
    let mut child = StdCommand::new(exe())
        .env("IMGBATCH_WORKER", faulty())
        .env("IMGBATCH_INJECT_HANG", "p003")
        .args(["resize", "--width", "300", "--workers", "1", "--timeout", "0", "--quiet", "-o"])
        .arg(&o)
        .arg("--report")
        .arg(&report)
        .arg(dir.path())
        .spawn()
        .unwrap();
    wait_for_outputs(&o, 3);
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(wait_for(&mut child, Duration::from_secs(30)).code(), Some(130));
    let r: serde_json::Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["interrupted"], true);
    assert_eq!(r["summary"]["ok"], 3);
    assert_eq!(assert_whole_outputs(&o).len(), 3);
    // The file the cancel cut short is accounted for, not lost.
    let stuck = entry(&r, "p003.jpg");
    assert_eq!(stuck["status"], "interrupted", "{stuck}");
    assert_eq!(r["summary"]["interrupted"], 1);
}
