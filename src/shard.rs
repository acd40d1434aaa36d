//! Splitting one job across processes or machines (`--shard K/N`): each
//! input belongs to exactly one shard, decided by its path relative to its
//! input root, without its extension (see [`shard_of`]): XXH64 with seed 0
//! over the path's bytes as the operating system gives them, `/`-separated,
//! plus the number the name ends with. A published algorithm, so the split is the same on every
//! machine, in every version of imgbatch, whatever the walk order or the
//! number of workers. Outputs are named after that same path, so inputs that
//! would write the same output (`IMG_1.HEIC` and `IMG_1.JPG` both make
//! `IMG_1_256.jpg`) are always in the same shard, where the collision is
//! reported as in one run: shards writing into one output tree never
//! overwrite each other's files.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::SetupError;

/// This process's part of the job: shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u32,
    /// How many shards the job is split into.
    pub count: u32,
}

/// Scheduler variables that give an array task's index, in the order they
/// are tried by `--shard auto/N`.
pub(crate) const INDEX_VARIABLES: [&str; 3] =
    ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"];

impl Shard {
    /// Whether the input at `rel` (relative to its input root) is this shard's.
    pub(crate) fn owns(&self, rel: &Path) -> bool {
        shard_of(rel, self.count) == self.index
    }

    /// Parses `K/N`, or `auto/N` with K read from the scheduler through `var`
    /// (the process environment in the binary).
    pub fn parse(s: &str, var: impl Fn(&str) -> Option<String>) -> Result<Shard, SetupError> {
        let bad = |why: &str| SetupError::Invalid(format!("--shard {s}: {why}"));
        let (k, n) = s.split_once('/').ok_or_else(|| bad("give K/N, e.g. 0/4, or auto/N"))?;
        let count: u32 = n.parse().map_err(|_| bad("N must be a whole number"))?;
        if count == 0 {
            return Err(bad("N must be at least 1"));
        }
        let (index, from) = if k == "auto" {
            let found = from_scheduler(&var).ok_or_else(|| {
                bad(&format!(
                    "no array index in the environment (looked for {}, {} and {})",
                    INDEX_VARIABLES[0], INDEX_VARIABLES[1], INDEX_VARIABLES[2]
                ))
            })??;
            (found.0, format!(" (from {})", found.1))
        } else {
            (k.parse().map_err(|_| bad("K must be a whole number or auto"))?, String::new())
        };
        if index >= count {
            return Err(bad(&format!("shard {index}{from} does not exist: shards are 0 to {}", count - 1)));
        }
        Ok(Shard { index, count })
    }
}

/// The array index the scheduler set, if any, and where it came from:
/// Slurm's counted from the array's first index (`--array=1-4` gives shards
/// 0 to 3).
fn from_scheduler(var: &impl Fn(&str) -> Option<String>) -> Option<Result<(u32, String), SetupError>> {
    let (name, value) = INDEX_VARIABLES.iter().find_map(|&n| var(n).map(|v| (n, v)))?;
    let number = |name: &str, v: &str| {
        v.trim().parse::<u32>().map_err(|_| SetupError::Invalid(format!("--shard auto: {name}={v} is not an index")))
    };
    let found = number(name, &value).and_then(|i| {
        let Some(min) = var("SLURM_ARRAY_TASK_MIN").filter(|_| name == "SLURM_ARRAY_TASK_ID") else {
            return Ok((i, format!("{name}={i}")));
        };
        let min = number("SLURM_ARRAY_TASK_MIN", &min)?;
        let index = i.checked_sub(min).ok_or_else(|| {
            SetupError::Invalid(format!("--shard auto: {name}={i} is below SLURM_ARRAY_TASK_MIN={min}"))
        })?;
        Ok((index, format!("{name}={i} minus SLURM_ARRAY_TASK_MIN={min}")))
    });
    Some(found)
}

/// The shard of `count` that the input at `rel` belongs to: the path
/// without its extension, split into a prefix and the number it ends with
/// (`2024/07/IMG_` and 1234 for `2024/07/IMG_1234.JPG`; at most 18 digits;
/// 0 when none), gives `(XXH64(prefix, seed 0) + number) mod count`. A
/// camera's numbered files in a folder thus go round the shards in turn,
/// which splits them evenly: over 3,000 files a hash alone leaves the worst
/// of 8 shards 8 % off on average and past 10 % one time in four.
pub fn shard_of(rel: &Path, count: u32) -> u32 {
    let key = rel.with_extension("");
    let bytes = key.as_os_str().as_bytes();
    let digits = bytes.iter().rev().take_while(|b| b.is_ascii_digit()).count().min(18);
    let (prefix, number) = bytes.split_at(bytes.len() - digits);
    let number = number.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    let count = u64::from(count);
    ((twox_hash::XxHash64::oneshot(0, prefix) % count + number % count) % count) as u32
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_split_is_the_published_hash_and_never_changes() {
        // XXH64("", seed 0) is the algorithm's published test value; the
        // others pin the split so that no later version can move a file.
        assert_eq!(twox_hash::XxHash64::oneshot(0, b""), 0xEF46_DB37_51D8_E999);
        assert_eq!(shard_of(Path::new("2024/IMG_0001.JPG"), 4), shard_of(Path::new("2024/IMG_0001.JPG"), 4));
        let pinned: Vec<u32> =
            ["a.jpg", "b.jpg", "2024/IMG_0001.JPG", "x/y/z.png"].iter().map(|p| shard_of(Path::new(p), 7)).collect();
        assert_eq!(pinned, PINNED);
    }

    /// The shards of 7 of the paths above, as computed by this version.
    const PINNED: [u32; 4] = [6, 4, 1, 0];

    #[test]
    fn three_thousand_files_spread_within_ten_per_cent_over_eight_shards() {
        // A camera's numbering in dated folders, starting anywhere, with gaps.
        let mut per = [0u32; 8];
        for i in 0..3000u32 {
            let name = format!("{}/{:02}/IMG_{:04}.JPG", 2015 + i / 400, (i / 40) % 12 + 1, 5000 + i * 13 / 10);
            per[shard_of(Path::new(&name), 8) as usize] += 1;
        }
        for (k, n) in per.iter().enumerate() {
            assert!((338..=412).contains(n), "shard {k} got {n} of 3000: {per:?}");
        }
        // Names without numbers fall back on the hash alone: within 4 σ
        // (binomial, σ = 18 files) of 375, which only a broken hash misses.
        let mut per = [0u32; 8];
        for i in 0..3000u32 {
            per[shard_of(
                Path::new(&format!(
                    "trips/{}/{}.jpg",
                    i % 50,
                    char::from(b'a' + (i / 50 % 26) as u8).to_string().repeat(1 + i as usize / 1300)
                )),
                8,
            ) as usize] += 1;
        }
        for (k, n) in per.iter().enumerate() {
            assert!((302..=448).contains(n), "shard {k} got {n} of 3000: {per:?}");
        }
    }

    #[test]
    fn inputs_that_would_write_the_same_output_share_a_shard() {
        for n in [2, 3, 4, 7, 16] {
            for stem in ["IMG_0001", "2024/07/DSC_0042", "a.b/c"] {
                let shards: Vec<u32> = ["jpg", "JPG", "heic", "png"]
                    .iter()
                    .map(|e| shard_of(Path::new(&format!("{stem}.{e}")), n))
                    .collect();
                assert!(shards.windows(2).all(|w| w[0] == w[1]), "{stem} over {n}: {shards:?}");
            }
        }
    }

    #[test]
    fn every_file_is_in_exactly_one_shard() {
        for n in [1, 3, 4, 7] {
            for p in ["a.jpg", "b/c.png", "d/e/f.heic"] {
                let owners = (0..n).filter(|&k| Shard { index: k, count: n }.owns(Path::new(p))).count();
                assert_eq!(owners, 1, "{p} in {owners} of {n} shards");
            }
        }
    }

    #[test]
    fn k_of_n_and_auto_from_each_scheduler() {
        assert_eq!(Shard::parse("2/4", env(&[])).unwrap(), Shard { index: 2, count: 4 });
        let slurm = env(&[("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "3")]);
        assert_eq!(Shard::parse("auto/4", slurm).unwrap(), Shard { index: 2, count: 4 });
        assert_eq!(Shard::parse("auto/4", env(&[("JOB_COMPLETION_INDEX", "3")])).unwrap().index, 3);
        assert_eq!(Shard::parse("auto/4", env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "0")])).unwrap().index, 0);
    }

    #[test]
    fn a_shard_that_cannot_be_says_why() {
        let err = |s: &str, e| Shard::parse(s, e).unwrap_err().to_string();
        let none = err("auto/4", env(&[]));
        for v in INDEX_VARIABLES {
            assert!(none.contains(v), "{none}");
        }
        assert!(err("4/4", env(&[])).contains("shards are 0 to 3"));
        let high = err("auto/2", env(&[("JOB_COMPLETION_INDEX", "2")]));
        assert!(high.contains("shard 2 (from JOB_COMPLETION_INDEX=2) does not exist: shards are 0 to 1"), "{high}");
        assert!(err("1/0", env(&[])).contains("at least 1"));
        assert!(err("1", env(&[])).contains("K/N"));
        assert!(err("auto/2", env(&[("JOB_COMPLETION_INDEX", "x")])).contains("not an index"));
    }
}
