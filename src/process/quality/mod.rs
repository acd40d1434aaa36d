//! Per-output quality to a perceptual target or a size cap (`--target`,
//! `--max-size`): each lossy output's quality is searched (search.rs) with
//! the SSIMULACRA2 score of each candidate (score.rs), and an output that
//! cannot fit the cap at the lowest sane quality is made smaller instead.

pub mod score;
pub mod search;

use std::borrow::Cow;
use std::collections::HashMap;

use image::{DynamicImage, GenericImageView};

use super::encode;
use super::metadata::Blocks;
use super::resize::Resampler;
use super::{Admit, ProcessOptions};
use crate::error::FileError;
use crate::geometry::Crop;
use crate::job::{EncodeOptions, OutFormat};
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
/// The floors are where each encoder still looks like a photo (about
/// SSIMULACRA2 50 on the photo corpus); below them `--max-size` shrinks
/// the image instead.
fn range_of(format: OutFormat, start: u8, target: Option<f64>) -> Option<Range> {
    let floor = match format {
        OutFormat::Jpeg => 40,
        OutFormat::Webp => 40,
        OutFormat::Avif => 25,
        OutFormat::Png => return None,
    };
    let first = first_guess(format, target).unwrap_or(start).clamp(floor, 100);
    Some(Range { first, floor: floor.min(start), ceiling: 100, probes: PROBES })
}

/// Where a search for `target` starts: the median quality that reached it
/// on the photo corpus at 1600 px, where one is measured (mozjpeg: 56 for
/// 65, 74 for 75, 90 for 85, 97 for 90; half the photos within 4 of it).
fn first_guess(format: OutFormat, target: Option<f64>) -> Option<u8> {
    match (format, target) {
        #[cfg(feature = "jpeg-turbo")]
        (OutFormat::Jpeg, Some(t)) => Some((56.0 + 1.7 * (t - 65.0)).round().clamp(1.0, 100.0) as u8),
        _ => None,
    }
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
    let default_bytes = encode::encode(img, format, opts.encode, icc, blocks)?.len() as u64;
    // Bytes are what was asked for: the encoder with the fewest at a score
    // (mozjpeg's trellis: 0.605 of fixed q85's bytes at its worst score,
    // against 0.720 searching with jpeg-encoder; docs/issue30-groundwork.md).
    let codec = encode::smallest_encoder(format);
    let mut img = Cow::Borrowed(img);
    let mut shrunk = 0;
    let mut encodes = 0;
    loop {
        let (w, h) = img.dimensions();
        scoring.room_for(w as u64 * h as u64)?;
        let scorer = Scorer::new(&img)?;
        let scoring = goal.score.is_some() && scorer.is_some();
        let mut kept: HashMap<u8, Vec<u8>> = HashMap::new();
        let choice = search(Goal { score: goal.score.filter(|_| scoring), ..goal }, range, |q| {
            let bytes =
                encode::encode_by(codec, &img, format, EncodeOptions { quality: q, ..opts.encode }, icc, blocks)?;
            let score = match (&scorer, scoring) {
                (Some(s), true) => Some(s.score(&bytes)?),
                _ => None,
            };
            let probe = Probe { quality: q, bytes: bytes.len() as u64, score };
            kept.insert(q, bytes);
            Ok::<_, FileError>(probe)
        })?;
        encodes += choice.probes;
        if choice.outcome == Outcome::TooLarge && shrunk < SHRINKS {
            // Bytes fall about with the pixel count: aim a tenth under.
            let floor_bytes = choice.chosen.bytes.max(1) as f64;
            let cap = goal.max_bytes.unwrap_or(u64::MAX) as f64;
            let k = ((cap / floor_bytes).sqrt() * 0.9).clamp(0.2, 0.9);
            let (w, h) = img.dimensions();
            let to = (((w as f64 * k) as u32).max(1), ((h as f64 * k) as u32).max(1));
            let all = Crop { x: 0.0, y: 0.0, w: w as f64, h: h as f64 };
            img = Cow::Owned(resampler.resize(&img, all, to)?);
            shrunk += 1;
            continue;
        }
        let quality = choice.chosen.quality;
        let bytes = match kept.remove(&quality) {
            Some(b) => b,
            None => encode::encode_by(codec, &img, format, EncodeOptions { quality, ..opts.encode }, icc, blocks)?,
        };
        let score = match (choice.chosen.score, &scorer) {
            (Some(s), _) => Some(s),
            (None, Some(s)) => Some(s.score(&bytes)?),
            (None, None) => None,
        };
        // Under a cap, a file that fits only by looking broken is made
        // smaller instead, at a quality that looks right.
        if goal.max_bytes.is_some() && score.is_some_and(|s| s < SANE_SCORE) && shrunk < SHRINKS {
            let (w, h) = img.dimensions();
            let to = (((w as f64 * 0.8) as u32).max(1), ((h as f64 * 0.8) as u32).max(1));
            let all = Crop { x: 0.0, y: 0.0, w: w as f64, h: h as f64 };
            img = Cow::Owned(resampler.resize(&img, all, to)?);
            shrunk += 1;
            continue;
        }
        let (w, h) = img.dimensions();
        let note = match choice.outcome {
            Outcome::Met if shrunk > 0 => Some(format!("made {w}x{h} to fit --max-size")),
            Outcome::Met => None,
            Outcome::ScoreUnmet => Some("--target not reached even at quality 100".to_string()),
            Outcome::ScoreGivenForSize => Some("--max-size wins: the score is below --target".to_string()),
            Outcome::TooLarge => Some(format!("over --max-size even at {w}x{h} and the lowest quality")),
        };
        let chosen = Chosen { quality, score, default_bytes, encodes, note };
        return Ok(Made { bytes, size: (w, h), chosen: Some(chosen) });
    }
}
