//! Helpers shared by the integration tests: the binary, fixtures, and small
//! images made on the spot (the tests never read anything outside the repo).
#![allow(dead_code)]

pub mod hostile;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use image::{DynamicImage, Rgb, RgbImage};

pub fn bin() -> Command {
    let mut c = Command::cargo_bin("imgbatch").expect("binary");
    c.timeout(std::time::Duration::from_secs(120));
    c
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn photos() -> PathBuf {
    fixtures().join("photos")
}

/// Parses the `--json` report from a command's stdout.
pub fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("JSON report on stdout")
}

/// The report entry whose input path ends with `name`.
pub fn entry<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["input"].as_str().is_some_and(|i| i.ends_with(name)))
        .unwrap_or_else(|| panic!("{name} not in report: {report}"))
}

pub fn dims(p: &Path) -> (u32, u32) {
    image::image_dimensions(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// An upright test picture: red block top-left, blue block bottom-right,
/// a horizontal gradient, so any rotation or mirror is visible.
pub fn upright(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        if x < w / 4 && y < h / 4 {
            Rgb([220, 20, 20])
        } else if x >= 3 * w / 4 && y >= 3 * h / 4 {
            Rgb([20, 20, 220])
        } else {
            Rgb([(x * 255 / w) as u8, 160, (y * 255 / h) as u8])
        }
    })
}

/// A minimal EXIF block holding only the Orientation tag.
pub fn exif_orientation(o: u16) -> Vec<u8> {
    let mut v = b"MM\0\x2A\0\0\0\x08".to_vec();
    v.extend_from_slice(&1u16.to_be_bytes());
    v.extend_from_slice(&0x0112u16.to_be_bytes());
    v.extend_from_slice(&3u16.to_be_bytes());
    v.extend_from_slice(&1u32.to_be_bytes());
    v.extend_from_slice(&o.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    v
}

/// Encodes a JPEG with optional EXIF orientation and ICC profile.
pub fn jpeg_bytes(img: &RgbImage, quality: u8, orientation: Option<u16>, icc: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    if let Some(o) = orientation {
        enc.add_exif_metadata(&exif_orientation(o)).unwrap();
    }
    if let Some(icc) = icc {
        enc.add_icc_profile(icc).unwrap();
    }
    enc.encode(img.as_raw(), img.width() as u16, img.height() as u16, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

pub fn write_jpeg(path: &Path, w: u32, h: u32) {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).unwrap();
    }
    fs::write(path, jpeg_bytes(&upright(w, h), 90, None, None)).unwrap();
}

pub fn write_png(path: &Path, w: u32, h: u32) {
    DynamicImage::ImageRgb8(upright(w, h)).save(path).unwrap();
}

/// Mean absolute difference per channel, 0–255.
pub fn mean_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "sizes differ");
    let sum: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| x.abs_diff(*y) as u64).sum();
    sum as f64 / a.as_raw().len() as f64
}

/// Every file under `dir`, relative, sorted.
/// Files under `dir`, relative and sorted; imgbatch's marker folder
/// (`.imgbatch/`, in every output folder) is left out.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".imgbatch")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Pseudo-random RGB pixels: incompressible, so outputs are large.
pub fn noise_png(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let mut s = seed.wrapping_mul(2_654_435_761) | 1;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        image::Rgb([s as u8, (s >> 8) as u8, (s >> 16) as u8])
    });
    let mut v = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut v), image::ImageFormat::Png).unwrap();
    v
}

/// Makes every file the command writes fail past `bytes` (EFBIG), as on a
/// disk that is full.
pub fn limit_file_size(cmd: &mut std::process::Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Peak resident set of the largest process this test process has waited
/// for (a run, or one of its worker processes), in bytes. Meaningful in a
/// test binary of one test: RUSAGE_CHILDREN covers every child.
pub fn children_peak_rss() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_CHILDREN is valid.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    usage.ru_maxrss as u64 * 1024
}

/// Copies every file under `from` to the same place under `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for rel in files_under(from) {
        let dest = to.join(&rel);
        fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        fs::copy(from.join(&rel), dest).expect("copy");
    }
}

/// examples/faulty.rs, a worker program with faults on cue (its doc says
/// which), which `cargo test` builds beside the tests. A run uses it as its
/// worker when `IMGBATCH_WORKER` names it.
pub fn faulty() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    // target/<profile>/deps/<test>-<hash> → target/<profile>/examples/faulty
    let profile = exe.parent().and_then(|deps| deps.parent()).expect("target folder");
    profile.join("examples").join("faulty")
}

/// A little-endian classic TIFF in palette colour: `bits`-bit indices (1, 2,
/// 4 or 8) from `index(x, y)`, uncompressed in one strip, and `palette` as
/// 8-bit RGB (the rest of the 2^bits entries black). What GIS and scanner
/// software write, made here since no encoder we use writes it.
pub fn palette_tiff(w: u32, h: u32, bits: u32, palette: &[[u8; 3]], index: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let colours = 1usize << bits;
    let row = (w * bits).div_ceil(8) as usize;
    let mut data = vec![0u8; row * h as usize];
    for y in 0..h {
        for x in 0..w {
            let bit = (x * bits) as usize;
            data[y as usize * row + bit / 8] |= index(x, y) << (8 - bits as usize - bit % 8);
        }
    }
    data.resize(data.len().next_multiple_of(2), 0);
    let mut map = vec![0u16; 3 * colours];
    for (i, c) in palette.iter().take(colours).enumerate() {
        for ch in 0..3 {
            map[ch * colours + i] = c[ch] as u16 * 257;
        }
    }
    let (data_at, map_at) = (8u32, 8 + data.len() as u32);
    let ifd_at = map_at + 2 * map.len() as u32;
    // (tag, type: 3 SHORT / 4 LONG, count, value or offset)
    let entries: [(u16, u16, u32, u32); 10] = [
        (256, 3, 1, w),
        (257, 3, 1, h),
        (258, 3, 1, bits),
        (259, 3, 1, 1),
        (262, 3, 1, 3),
        (273, 4, 1, data_at),
        (277, 3, 1, 1),
        (278, 3, 1, h),
        (279, 4, 1, (row * h as usize) as u32),
        (320, 3, 3 * colours as u32, map_at),
    ];
    let mut b = Vec::new();
    b.extend_from_slice(b"II*\0");
    b.extend_from_slice(&ifd_at.to_le_bytes());
    b.extend_from_slice(&data);
    map.iter().for_each(|v| b.extend_from_slice(&v.to_le_bytes()));
    b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, count, value) in entries {
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&count.to_le_bytes());
        b.extend_from_slice(&value.to_le_bytes());
    }
    b.extend_from_slice(&0u32.to_le_bytes());
    b
}
