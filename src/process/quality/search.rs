//! The bounded search over an encoder's quality for the smallest file that
//! meets a score and/or a size cap (`--target`, `--max-size`). Pure logic:
//! `probe(q)` encodes at quality `q` and returns its bytes and, when the
//! goal has a score, the score; every probe counts against the bound.

pub use crate::job::Goal;

/// The qualities the search may use.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    /// Where the search starts: the quality expected to meet the goal.
    pub first: u8,
    /// The lowest quality that still looks sane for the format.
    pub floor: u8,
    /// The highest.
    pub ceiling: u8,
    /// Encodes at most.
    pub probes: u32,
}

/// One encode the search tried.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Its quality.
    pub quality: u8,
    /// Its size.
    pub bytes: u64,
    /// Its score, when the goal has one.
    pub score: Option<f64>,
}

/// How the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every part of the goal is met.
    Met,
    /// The score is not reached even at the ceiling: the ceiling's file.
    ScoreUnmet,
    /// The cap is met by giving up some of the score.
    ScoreGivenForSize,
    /// Even the floor is larger than the cap: the image must be made smaller.
    TooLarge,
}

/// The search's answer: the chosen probe, how many encodes it took, and
/// how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The file to write.
    pub chosen: Probe,
    /// Encodes made.
    pub probes: u32,
    /// How it ended.
    pub outcome: Outcome,
}

/// A passing file scoring less than this above the target ends the search.
const NEAR: f64 = 1.0;

/// Score points gained per quality step, before two probes say better:
/// about what JPEG, WebP and AVIF show between q60 and q90.
const FIRST_SLOPE: f64 = 0.5;

/// Encodes the cap's part of a search may take in all.
const CAP_PROBES: u32 = 8;

/// A fitting file this close under the cap ends the cap's search: a step
/// more quality is worth a few per cent of bytes, another probe a whole
/// encode.
const NEAR_CAP: f64 = 0.95;

/// Where under the cap a probe aims, so that the first guess tends to fit.
const AIM_UNDER_CAP: f64 = 0.97;

/// log(bytes) gained per quality step, before two probes say better: JPEG
/// and WebP photos about double their bytes from q50 to q85.
const FIRST_GROWTH: f64 = 0.02;

/// Finds the smallest file meeting `goal` within `range`, with at most
/// `range.probes` calls of `probe`.
pub fn search<E>(goal: Goal, range: Range, mut probe: impl FnMut(u8) -> Result<Probe, E>) -> Result<Choice, E> {
    let mut count = 0;
    let mut run = |q: u8, count: &mut u32| {
        *count += 1;
        probe(q)
    };
    let start = run(range.first, &mut count)?;
    let fits = |p: &Probe| goal.max_bytes.is_none_or(|m| p.bytes <= m);
    let passes = |p: &Probe| goal.score.is_none_or(|t| p.score.is_some_and(|s| s >= t));
    // Bracket: `pass` is the lowest quality known to meet the score,
    // `fail` the highest known not to.
    let (mut pass, mut fail): (Option<Probe>, Option<Probe>) =
        if passes(&start) { (Some(start.clone()), None) } else { (None, Some(start.clone())) };
    if let Some(target) = goal.score {
        let mut last = start.clone();
        let mut slope = FIRST_SLOPE;
        while count < range.probes {
            let lo = fail.as_ref().map_or(range.floor as i32 - 1, |f| f.quality as i32);
            let hi = pass.as_ref().map_or(range.ceiling as i32 + 1, |p| p.quality as i32);
            // Close enough: a quality step or two more costs a few per cent
            // of bytes, another probe a whole encode and score.
            let near = pass.as_ref().and_then(|p| p.score).is_some_and(|s| s < target + NEAR);
            if hi - lo <= 2 || near {
                break;
            }
            let s = last.score.unwrap_or(0.0);
            let guess = last.quality as f64 + (target - s) / slope;
            // With nothing passing yet, the last encode is the ceiling's:
            // an unmet target is then known unreachable, not just untried.
            let guess = if pass.is_none() && count + 1 == range.probes { f64::INFINITY } else { guess };
            let q = (guess.ceil().min(hi as f64 - 1.0) as i32).clamp(lo + 1, hi - 1) as u8;
            let p = run(q, &mut count)?;
            if let (Some(a), Some(b)) = (p.score, last.score)
                && p.quality != last.quality
            {
                let k = (a - b) / (p.quality as f64 - last.quality as f64);
                if k > 0.05 {
                    slope = k;
                }
            }
            if passes(&p) {
                pass = Some(p.clone());
            } else {
                fail = Some(p.clone());
            }
            last = p;
        }
    }
    let (mut chosen, mut outcome) = match (goal.score, pass) {
        (None, _) => (start.clone(), Outcome::Met),
        (Some(_), Some(p)) => (p, Outcome::Met),
        (Some(_), None) => {
            // The best tried: the highest quality probed.
            let best = fail.unwrap_or_else(|| start.clone());
            (best, Outcome::ScoreUnmet)
        }
    };
    if !fits(&chosen) {
        let Some(cap) = goal.max_bytes else { unreachable!("fits without a cap") };
        // Sizes grow with quality, about exponentially between the floor and
        // 95: the next probe is where the line through the bracket's ends in
        // log(bytes) meets a little under the cap, kept a quarter inside the
        // bracket so that each probe narrows it.
        let aim = (cap as f64 * AIM_UNDER_CAP).ln();
        let mut over = chosen.clone();
        let mut under: Option<Probe> = None;
        let mut growth = FIRST_GROWTH;
        while count < range.probes.max(CAP_PROBES) {
            let lo = under.as_ref().map_or(range.floor as i32 - 1, |u| u.quality as i32);
            let hi = over.quality as i32;
            let near = under.as_ref().is_some_and(|u| u.bytes as f64 >= NEAR_CAP * cap as f64);
            if hi - lo <= 1 || near {
                break;
            }
            if let Some(u) = &under {
                let k = ((over.bytes.max(1) as f64).ln() - (u.bytes.max(1) as f64).ln()) / (hi - lo) as f64;
                if k > 0.001 {
                    growth = k;
                }
            }
            let guess = over.quality as f64 - ((over.bytes.max(1) as f64).ln() - aim) / growth;
            let quarter = (hi - lo) / 4;
            let q = (guess.floor() as i32).clamp(lo + 1 + quarter, hi - 1 - quarter) as u8;
            let p = run(q, &mut count)?;
            if p.bytes <= cap {
                under = Some(p);
            } else {
                over = p;
            }
        }
        match under {
            Some(p) => {
                outcome = if goal.score.is_some() { Outcome::ScoreGivenForSize } else { Outcome::Met };
                chosen = p;
            }
            None => outcome = Outcome::TooLarge,
        }
    }
    Ok(Choice { chosen, probes: count, outcome })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A made-up encoder: score rises with quality, size grows with it.
    fn model(score_at: impl Fn(u8) -> f64, bytes_at: impl Fn(u8) -> u64) -> impl FnMut(u8) -> Result<Probe, ()> {
        move |q| Ok(Probe { quality: q, bytes: bytes_at(q), score: Some(score_at(q)) })
    }

    fn range() -> Range {
        Range { first: 85, floor: 30, ceiling: 100, probes: 5 }
    }

    fn linear(q: u8) -> f64 {
        40.0 + 0.5 * q as f64
    }

    #[test]
    fn finds_the_lowest_quality_meeting_the_score_within_the_bound() {
        for target in [60.0, 70.0, 75.0, 80.0, 85.0, 88.0] {
            let goal = Goal { score: Some(target), max_bytes: None };
            let c = search(goal, range(), model(linear, |q| q as u64 * 1000)).unwrap();
            let want = ((target - 40.0) / 0.5).ceil() as u8;
            assert_eq!(c.outcome, Outcome::Met, "{target}");
            // The lowest passing quality, or one within a point of score of it.
            assert!(c.chosen.score.unwrap() >= target, "{target}");
            assert!(c.chosen.quality <= want + 2, "{target}: {} against {want}", c.chosen.quality);
            assert!(c.probes <= 5, "{target}: {} probes", c.probes);
        }
    }

    #[test]
    fn a_curved_score_still_ends_on_a_passing_quality() {
        let curved = |q: u8| 100.0 - 60.0 * (-(q as f64) / 35.0).exp() * 1.8;
        for target in [50.0, 65.0, 80.0, 90.0] {
            let goal = Goal { score: Some(target), max_bytes: None };
            let c = search(goal, range(), model(curved, |q| q as u64)).unwrap();
            assert!(c.probes <= 5);
            assert_eq!(c.outcome, Outcome::Met, "{target}");
            assert!(c.chosen.score.unwrap() >= target, "{target}: {:?}", c.chosen);
            // Never more than 3 steps above the best possible.
            let best = (1..=100).find(|&q| curved(q) >= target).unwrap();
            assert!(c.chosen.quality <= best + 3, "{target}: {} against {best}", c.chosen.quality);
        }
    }

    #[test]
    fn an_unreachable_score_says_so_and_keeps_the_best_tried() {
        let goal = Goal { score: Some(99.5), max_bytes: None };
        let c = search(goal, range(), model(linear, |q| q as u64)).unwrap();
        assert_eq!(c.outcome, Outcome::ScoreUnmet);
        assert_eq!(c.chosen.quality, 100, "{:?}", c.chosen);
        // Even when the first slope says the target is near.
        let slow = |q: u8| 70.0 + 0.05 * q as f64;
        let c = search(Goal { score: Some(80.0), max_bytes: None }, range(), model(slow, |q| q as u64)).unwrap();
        assert_eq!((c.outcome, c.chosen.quality), (Outcome::ScoreUnmet, 100), "{:?}", c);
        assert!(c.probes <= 5);
    }

    #[test]
    fn a_size_cap_takes_a_quality_within_a_few_per_cent_of_it() {
        let exponential = |q: u8| (5000.0 * (0.03 * q as f64).exp()) as u64;
        let linear_bytes = |q: u8| q as u64 * 1000;
        let mut probes = 0;
        // All under both models' bytes at the start (q85), over them at the floor.
        let caps = [41_500, 47_000, 52_500, 58_000, 63_000];
        for (name, bytes) in [("linear", &linear_bytes as &dyn Fn(u8) -> u64), ("exponential", &exponential)] {
            for cap in caps {
                let goal = Goal { score: None, max_bytes: Some(cap) };
                let c = search(goal, range(), model(linear, bytes)).unwrap();
                assert_eq!(c.outcome, Outcome::Met, "{name} {cap}");
                assert!(c.chosen.bytes <= cap, "{name} {cap}: {:?}", c.chosen);
                // Close under the cap, or the largest quality that fits.
                let close = c.chosen.bytes as f64 >= NEAR_CAP * cap as f64;
                assert!(close || bytes(c.chosen.quality + 1) > cap, "{name} {cap}: {:?}", c.chosen);
                assert!(c.probes <= CAP_PROBES, "{name} {cap}: {}", c.probes);
                probes += c.probes;
            }
        }
        // Fewer than halving's 6 or 7 encodes per cap, on average (3.5 here).
        assert!(probes as f64 / (2 * caps.len()) as f64 <= 4.0, "{probes}");
        // Under the cap at the start: one encode.
        let goal = Goal { score: None, max_bytes: Some(1_000_000) };
        let c = search(goal, range(), model(linear, linear_bytes)).unwrap();
        assert_eq!((c.chosen.quality, c.probes), (85, 1));
    }

    #[test]
    fn a_cap_below_the_floor_asks_for_a_smaller_image() {
        let goal = Goal { score: None, max_bytes: Some(10_000) };
        let c = search(goal, range(), model(linear, |q| q as u64 * 1000)).unwrap();
        assert_eq!(c.outcome, Outcome::TooLarge);
    }

    #[test]
    fn the_cap_wins_over_the_score_and_says_so() {
        let goal = Goal { score: Some(85.0), max_bytes: Some(70_000) };
        let c = search(goal, range(), model(linear, |q| q as u64 * 1000)).unwrap();
        assert_eq!(c.outcome, Outcome::ScoreGivenForSize);
        assert!((66_500..=70_000).contains(&c.chosen.bytes), "{:?}", c.chosen);
    }

    #[test]
    fn an_encoder_error_ends_the_search() {
        let goal = Goal { score: Some(70.0), max_bytes: None };
        let r =
            search(
                goal,
                range(),
                |q| if q < 80 { Err(q) } else { Ok(Probe { quality: q, bytes: 1, score: Some(90.0) }) },
            );
        assert!(r.is_err());
    }
}
