//! Per-output quality to a perceptual target or a size cap (`--target`,
//! `--max-size`): each lossy output's quality is searched (search.rs) with
//! the SSIMULACRA2 score of each candidate (score.rs), and an output that
//! cannot fit the cap at the lowest sane quality is made smaller instead.

pub mod score;
pub mod search;

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use image::{DynamicImage, GenericImageView};

use super::encode;
use super::metadata::Blocks;
use super::resize::Resampler;
use super::{Admit, ProcessOptions};
use crate::error::FileError;
use crate::geometry::Crop;
use crate::job::{EncodeOptions, OutFormat, Subsampling};
use crate::report::Chosen;
use score::Scorer;
use search::{Goal, Outcome, Probe, Range, search};

/// Encodes the search may make for one size of an output (the cap's
/// halving may take a few more than the score's).
const PROBES: u32 = 5;

/// Times an output over `--max-size` at the lowest quality (or under
/// [`SANE_SCORE`] at the quality that fits) is made smaller.
const SHRINKS: u32 = 4;

/// The lowest SSIMULACRA2 score `--max-size` accepts while it may still
/// make the image smaller: below 60 the damage is plain to see (blocking,
/// smeared colour).
const SANE_SCORE: f64 = 60.0;

/// What SSIMULACRA2 holds per pixel of the output it scores: the
/// reference's planes at every scale, then a candidate's (239 MB measured
/// at 1600x1067 for fast-ssim2 0.8.2's reference and one compare).
const SCORE_BYTES_PER_PIXEL: u64 = 150;

/// The memory the scores of one input's outputs may use, asked of the
/// budget before the first reference is made: as much as the largest
/// output needs, once, since each output's scorer is dropped before the next.
pub struct Scoring<'a, 'b> {
    admit: &'a mut Admit<'b>,
    admitted: u64,
}

impl<'a, 'b> Scoring<'a, 'b> {
    /// Nothing admitted yet.
    pub fn new(admit: &'a mut Admit<'b>) -> Self {
        Scoring { admit, admitted: 0 }
    }

    /// Makes sure a scorer for `pixels` may be held.
    fn room_for(&mut self, pixels: u64) -> Result<(), FileError> {
        let need = pixels * SCORE_BYTES_PER_PIXEL;
        if need > self.admitted {
            (self.admit)(need - self.admitted)?;
            self.admitted = need;
        }
        Ok(())
    }
}

/// One output, encoded.
pub struct Made {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its pixel size (smaller than asked when `--max-size` shrank it).
    pub size: (u32, u32),
    /// What the search chose, when there was one.
    pub chosen: Option<Chosen>,
}

/// The qualities a search may use for `format`: none for a lossless one.
fn range_of(format: OutFormat, start: u8, target: Option<f64>) -> Option<Range> {
    let row = format.row().search.as_ref()?;
    let guess = row.guess.as_ref().zip(target).map(|(g, t)| g.quality(t));
    let first = guess.unwrap_or(start).clamp(row.floor, 100);
    Some(Range { first, floor: row.floor.min(start), ceiling: 100, probes: PROBES })
}

/// One size's encodes at the qualities a search asks for, scored, each
/// file kept so that no quality is encoded twice.
struct Tries<'a> {
    codec: &'static dyn encode::Encoder,
    img: &'a DynamicImage,
    format: OutFormat,
    icc: Option<&'a [u8]>,
    blocks: &'a Blocks,
    scorer: Option<&'a mut Scorer>,
    /// Files by quality, all with the same settings but for it.
    kept: HashMap<u8, Vec<u8>>,
    /// Encodes made (a kept file is not made again).
    encoded: u32,
}

impl Tries<'_> {
    /// Searches `range` for `goal`, encoding with `enc` but for the quality.
    fn search(&mut self, goal: Goal, range: Range, enc: EncodeOptions) -> Result<search::Choice, FileError> {
        search(goal, range, |q| {
            let bytes = match self.kept.entry(q) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    let opts = EncodeOptions { quality: q, ..enc };
                    self.encoded += 1;
                    e.insert(encode::encode_by(self.codec, self.img, self.format, opts, self.icc, self.blocks)?)
                }
            };
            let score = match (&mut self.scorer, goal.score) {
                (Some(s), Some(_)) => Some(s.score(bytes)?),
                _ => None,
            };
            Ok(Probe { quality: q, bytes: bytes.len() as u64, score })
        })
    }
}

/// `img` made `k` times smaller, for `--max-size`.
fn smaller(resampler: &mut Resampler, img: &DynamicImage, k: f64) -> Result<DynamicImage, FileError> {
    let (w, h) = img.dimensions();
    let to = (((w as f64 * k) as u32).max(1), ((h as f64 * k) as u32).max(1));
    let all = Crop { x: 0.0, y: 0.0, w: w as f64, h: h as f64 };
    resampler.resize(img, all, to)
}

/// Encodes `img` as `format`: at the fixed quality, or at the one the
/// goal asks for.
pub fn encode(
    img: &DynamicImage,
    format: OutFormat,
    opts: &ProcessOptions,
    icc: Option<&[u8]>,
    blocks: &Blocks,
    resampler: &mut Resampler,
    scoring: &mut Scoring<'_, '_>,
) -> Result<Made, FileError> {
    let goal = opts.goal;
    let range = range_of(format, opts.encode.quality, goal.score);
    let (Some(range), false) = (range, goal == Goal::default()) else {
        let bytes = encode::encode(img, format, opts.encode, icc, blocks)?;
        return Ok(Made { bytes, size: img.dimensions(), chosen: None });
    };
    // What the fixed quality writes, for the savings the report gives.
    let default = encode::encode(img, format, opts.encode, icc, blocks)?;
    let default_bytes = default.len() as u64;
    // Bytes are what was asked for: the encoder with the fewest at a score
    // (mozjpeg's trellis: 0.605 of fixed q85's bytes at its worst score,
    // against 0.720 searching with jpeg-encoder; docs/issue30-groundwork.md).
    // With the fixed run's own encoder, its file is the search's at that quality.
    let (codec, mut default) = match encode::smaller_encoder(format) {
        Some(smaller) => (smaller, None),
        None => (encode::encoder(format), Some(default)),
    };
    let mut img = Cow::Borrowed(img);
    let mut shrunk = 0;
    let mut encodes = 0;
    loop {
        let (w, h) = img.dimensions();
        scoring.room_for(w as u64 * h as u64)?;
        let mut scorer = Scorer::new(&img)?;
        let scored = goal.score.is_some() && scorer.is_some();
        let goal = Goal { score: goal.score.filter(|_| scored), ..goal };
        let mut enc = opts.encode;
        // Only the first size is the fixed run's (`take`).
        let kept = default.take().map(|d| (opts.encode.quality, d)).into_iter().collect();
        let mut tries = Tries { codec, img: &img, format, icc, blocks, scorer: scorer.as_mut(), kept, encoded: 0 };
        let mut choice = tries.search(goal, range, enc)?;
        // 4:2:0 halves the colour's resolution, which caps the score of small
        // colourful or grainy outputs below what any quality reaches; full
        // chroma may reach it, starting from the top.
        let full = EncodeOptions { subsampling: Subsampling::S444, ..enc };
        let mut full_chroma = false;
        if choice.outcome == Outcome::ScoreUnmet
            && format.row().search.as_ref().is_some_and(|r| r.chroma)
            && enc != full
        {
            let before = std::mem::take(&mut tries.kept);
            let again = tries.search(goal, Range { first: range.ceiling, ..range }, full)?;
            if again.outcome != Outcome::ScoreUnmet || again.chosen.score > choice.chosen.score {
                (choice, enc, full_chroma) = (again, full, true);
            } else {
                tries.kept = before;
            }
        }
        encodes += tries.encoded;
        let mut kept = tries.kept;
        if choice.outcome == Outcome::TooLarge && shrunk < SHRINKS {
            // Bytes fall about with the pixel count: aim a tenth under.
            let floor_bytes = choice.chosen.bytes.max(1) as f64;
            let cap = goal.max_bytes.unwrap_or(u64::MAX) as f64;
            let k = ((cap / floor_bytes).sqrt() * 0.9).clamp(0.2, 0.9);
            img = Cow::Owned(smaller(resampler, &img, k)?);
            shrunk += 1;
            continue;
        }
        let quality = choice.chosen.quality;
        let bytes = match kept.remove(&quality) {
            Some(b) => b,
            None => encode::encode_by(codec, &img, format, EncodeOptions { quality, ..enc }, icc, blocks)?,
        };
        let score = match (choice.chosen.score, &mut scorer) {
            (Some(s), _) => Some(s),
            (None, Some(s)) => Some(s.score(&bytes)?),
            (None, None) => None,
        };
        // Under a cap, a file that fits only by looking broken is made
        // smaller instead, at a quality that looks right.
        if goal.max_bytes.is_some() && score.is_some_and(|s| s < SANE_SCORE) && shrunk < SHRINKS {
            img = Cow::Owned(smaller(resampler, &img, 0.8)?);
            shrunk += 1;
            continue;
        }
        let (w, h) = img.dimensions();
        let note = match choice.outcome {
            Outcome::Met if shrunk > 0 => Some(format!("made {w}x{h} to fit --max-size")),
            Outcome::Met if full_chroma => Some("4:4:4 chroma: 4:2:0 missed --target even at quality 100".to_string()),
            Outcome::Met => None,
            Outcome::ScoreUnmet if full_chroma => {
                Some("--target not reached even at quality 100 with 4:4:4 chroma".to_string())
            }
            Outcome::ScoreUnmet => Some("--target not reached even at quality 100".to_string()),
            Outcome::ScoreGivenForSize => Some("--max-size wins: the score is below --target".to_string()),
            Outcome::TooLarge => Some(format!("over --max-size even at {w}x{h} and the lowest quality")),
        };
        let chosen = Chosen { quality, score, default_bytes, encodes, note };
        return Ok(Made { bytes, size: (w, h), chosen: Some(chosen) });
    }
}
