//! Hostile input, round 2: metadata bombs, files too large to read, JPEG
//! data cut short before its EOI, scan bombs, GIF frames outside the screen,
//! and what the report and the disk show when things go wrong. Every file is
//! made here (see `common::hostile`); each bad one sits beside a good one
//! that must still come out ok.
mod common;
use common::hostile;
use common::*;
use std::fs;
use std::path::Path;

/// Runs imgbatch with `args` on `input` into `out`, expecting exit `code`;
/// returns the JSON report and stderr.
fn run(args: &[&str], input: &Path, out: &Path, code: i32) -> (serde_json::Value, String) {
    let o = bin().args(args).args(["--json", "-o"]).arg(out).arg(input).assert().code(code);
    let out = o.get_output();
    (json(&out.stdout), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn error_of(r: &serde_json::Value, name: &str) -> String {
    let e = entry(r, name);
    assert_eq!(e["status"], "failed", "{e}");
    e["error"].as_str().unwrap().to_string()
}

#[test]
fn an_icc_profile_bomb_is_dropped_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    // 1 GiB of profile in a few MB of file.
    fs::write(dir.path().join("bomb.png"), hostile::png(64, 64, Some(1 << 30))).unwrap();
    fs::write(dir.path().join("good.png"), hostile::png(64, 64, None)).unwrap();
    for format in ["png", "webp"] {
        let out = tempfile::tempdir().unwrap();
        let args = ["thumbs", "--sizes", "32", "--format", format, "--max-memory", "256M"];
        let (r, err) = run(&args, dir.path(), out.path(), 0);
        let bomb = entry(&r, "bomb.png");
        assert_eq!(bomb["status"], "ok", "{bomb}");
        assert!(bomb["warning"].as_str().unwrap().contains("ICC profile dropped"), "{bomb}");
        assert!(err.contains("bomb.png: warning: ICC profile dropped"), "{err}");
        assert_eq!(entry(&r, "good.png")["status"], "ok");
        let written = fs::metadata(out.path().join(format!("bomb_32.{format}"))).unwrap().len();
        assert!(written < 16 << 10, "{format} output carries {written} bytes");
    }
}

#[test]
fn a_file_over_max_file_size_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    hostile::sparse_jpeg(&dir.path().join("huge.jpg"), 6 << 30);
    write_jpeg(&dir.path().join("good.jpg"), 64, 48);
    for extra in [&[][..], &["--dry-run"][..]] {
        let out = tempfile::tempdir().unwrap();
        let args: Vec<&str> = ["thumbs", "--max-memory", "256M"].iter().chain(extra).copied().collect();
        let (r, _) = run(&args, dir.path(), out.path(), 1);
        assert_eq!(error_of(&r, "huge.jpg"), "file is 6.0 GiB, over --max-file-size (1.0 GiB)");
        assert_eq!(entry(&r, "good.jpg")["status"], "ok");
    }
    // Allowed by size, it must still fit the memory budget before it is read.
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run(&["thumbs", "--max-file-size", "8G", "--max-memory", "256M"], dir.path(), out.path(), 1);
    assert!(error_of(&r, "huge.jpg").contains("over --max-memory (256 MiB)"), "{r}");
}

#[test]
fn jpeg_data_cut_short_before_its_eoi_is_truncated_at_every_size() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = jpeg_bytes(&upright(800, 600), 90, None, None);
    let progressive = hostile::progressive_jpeg(800, 600);
    for (name, jpeg) in [("base", &baseline), ("prog", &progressive)] {
        fs::write(dir.path().join(format!("{name}_whole.jpg")), jpeg).unwrap();
        fs::write(dir.path().join(format!("{name}_half.jpg")), hostile::cut_keeping_eoi(jpeg, 0.5)).unwrap();
        fs::write(dir.path().join(format!("{name}_tenth.jpg")), hostile::cut_keeping_eoi(jpeg, 0.1)).unwrap();
    }
    // 64 px decodes at 1/8 scale and 200 px at 1/2 (libjpeg-turbo, or
    // jpeg-decoder and zune-jpeg without it), 700 px at full size (zune-jpeg).
    for size in ["64", "200", "700"] {
        let out = tempfile::tempdir().unwrap();
        let (r, _) = run(&["thumbs", "--sizes", size], dir.path(), out.path(), 1);
        for name in ["base", "prog"] {
            assert_eq!(entry(&r, &format!("{name}_whole.jpg"))["status"], "ok", "size {size}");
            for cut in ["half", "tenth"] {
                assert_eq!(error_of(&r, &format!("{name}_{cut}.jpg")), "truncated JPEG", "size {size}");
            }
        }
        let (r, _) = run(&["thumbs", "--sizes", size, "--allow-truncated", "--force"], dir.path(), out.path(), 0);
        let kept = entry(&r, "prog_half.jpg");
        assert!(kept["warning"].as_str().unwrap().contains("ends early"), "{kept}");
    }
}

/// libjpeg says "premature end of data segment" both for a file cut short
/// (the scan meets the EOI marker) and for one scan's data cut short inside
/// a file that goes on (it meets the next scan): only the first is truncated.
/// Shrunk on load by libjpeg-turbo (64 px) and at full size by
/// libjpeg-turbo-rs (1000 px, the picture being 800 px wide).
#[test]
fn a_scan_cut_short_inside_the_file_is_damage_not_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let progressive = hostile::progressive_jpeg(800, 600);
    fs::write(dir.path().join("first_ac_scan.jpg"), hostile::scan_cut_short(&progressive, 1)).unwrap();
    fs::write(dir.path().join("cut.jpg"), hostile::cut_keeping_eoi(&progressive, 0.6)).unwrap();
    let sizes: &[&str] = if cfg!(feature = "jpeg-turbo") { &["64", "1000"] } else { &["1000"] };
    for size in sizes {
        let out = tempfile::tempdir().unwrap();
        let (r, err) = run(&["thumbs", "--sizes", size], dir.path(), out.path(), 1);
        let damaged = entry(&r, "first_ac_scan.jpg");
        assert_eq!(damaged["status"], "ok", "{size}: {damaged}");
        let warning = damaged["warning"].as_str().unwrap();
        assert!(warning.starts_with("damaged JPEG data (premature end of data segment)"), "{size}: {warning}");
        assert!(err.contains("first_ac_scan.jpg: warning: damaged JPEG data"), "{size}: {err}");
        assert_eq!(error_of(&r, "cut.jpg"), "truncated JPEG", "{size}");
    }
}

#[test]
fn a_jpeg_xl_of_endless_empty_frames_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("frames.jxl"), hostile::jxl_frame_chain()).unwrap();
    write_jpeg(&dir.path().join("good.jpg"), 64, 48);
    for extra in [&[][..], &["--dry-run"][..]] {
        let out = tempfile::tempdir().unwrap();
        let args: Vec<&str> = ["thumbs"].iter().chain(extra).copied().collect();
        let (r, _) = run(&args, dir.path(), out.path(), 1);
        assert_eq!(
            error_of(&r, "frames.jxl"),
            "unsupported: JPEG XL with more than 256 frames before its first picture"
        );
        assert_eq!(entry(&r, "good.jpg")["status"], "ok");
    }
}

#[test]
fn too_many_scans_fail_the_same_way_at_every_size() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("scans.jpg"), hostile::jpeg_with_scans(150)).unwrap();
    write_jpeg(&dir.path().join("good.jpg"), 64, 48);
    for size in ["8", "1300"] {
        let out = tempfile::tempdir().unwrap();
        let (r, _) = run(&["thumbs", "--upscale", "--sizes", size], dir.path(), out.path(), 1);
        assert_eq!(error_of(&r, "scans.jpg"), "unsupported: JPEG with 150 scans (more than 100)");
        assert_eq!(entry(&r, "good.jpg")["status"], "ok");
    }
}

#[test]
fn a_gif_frame_outside_its_screen_is_named_not_called_truncated() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("outside.gif"), hostile::gif_frame_outside_cut()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run(&["thumbs"], dir.path(), out.path(), 1);
    let e = error_of(&r, "outside.gif");
    assert!(e.contains("first frame (40x40 at 8,20) lies outside the 10x10 screen"), "{e}");
}

#[test]
fn a_report_into_a_missing_folder_stops_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write_jpeg(&dir.path().join("a.jpg"), 64, 48);
    let out = dir.path().join("out");
    let o = bin()
        .args(["thumbs", "--report"])
        .arg(dir.path().join("missing/report.json"))
        .arg("-o")
        .arg(&out)
        .arg(dir.path().join("a.jpg"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&o.get_output().stderr).into_owned();
    assert!(err.contains("missing does not exist"), "{err}");
    assert!(!dir.path().join("missing").exists() && !out.exists(), "nothing created");
}

#[test]
fn names_that_are_not_utf8_keep_their_exact_bytes_in_the_report() {
    use base64::Engine;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let names: [&[u8]; 2] = [b"a\xff.jpg", b"a\xfe.jpg"];
    for n in names {
        write_jpeg(&dir.path().join(OsStr::from_bytes(n)), 32, 24);
    }
    let out = tempfile::tempdir().unwrap();
    let (r, _) = run(&["thumbs", "--sizes", "16"], dir.path(), out.path(), 0);
    let files = r["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let mut exact: Vec<Vec<u8>> = files
        .iter()
        .map(|f| {
            assert!(f["input"].as_str().unwrap().ends_with("a\u{FFFD}.jpg"), "{f}");
            let b = base64::engine::general_purpose::STANDARD.decode(f["input_bytes"].as_str().unwrap()).unwrap();
            b[b.len() - names[0].len()..].to_vec()
        })
        .collect();
    exact.sort();
    assert_eq!(exact, vec![names[1].to_vec(), names[0].to_vec()]);
}

#[test]
fn a_thumbnail_set_is_written_all_or_none_when_the_disk_fills() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        fs::write(dir.path().join(format!("n{i}.png")), noise_png(200, 200, i)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("imgbatch"));
    cmd.args(["thumbs", "--sizes", "16,200", "--format", "png", "--json", "-o"]).arg(out.path()).arg(dir.path());
    // The 16 px thumbnail fits under 8 KiB, the 200 px one does not: as on a
    // disk that fills up between the two writes.
    limit_file_size(&mut cmd, 8192);
    let o = assert_cmd::Command::from_std(cmd).assert().code(1);
    let r = json(&o.get_output().stdout);
    for i in 0..3 {
        let e = error_of(&r, &format!("n{i}.png"));
        assert!(e.contains(&format!("n{i}_200.png")), "{e}");
    }
    assert_eq!(files_under(out.path()), Vec::<String>::new(), "no half sets, no temporaries");
}

#[test]
fn dry_run_reads_past_its_prefix_only_when_the_header_is_not_in_it() {
    let dir = tempfile::tempdir().unwrap();
    // 600 KB of ICC profile before the frame header: past the 256 KiB prefix.
    let icc: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(dir.path().join("late_header.jpg"), jpeg_bytes(&upright(300, 200), 90, None, Some(&icc))).unwrap();
    write_jpeg(&dir.path().join("early_header.jpg"), 300, 200);
    let out = tempfile::tempdir().unwrap();
    let o =
        bin().args(["thumbs", "--sizes", "100", "--dry-run", "-o"]).arg(out.path()).arg(dir.path()).assert().success();
    let plan = String::from_utf8_lossy(&o.get_output().stdout).into_owned();
    assert!(plan.contains("late_header_100.jpg (100x67)"), "{plan}");
    assert!(plan.contains("early_header_100.jpg (100x67)"), "{plan}");
}
