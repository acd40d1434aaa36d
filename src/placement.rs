//! Where a crop goes, as the command line says it: `thumbs --crop
//! [STRATEGY]`, `resize --fit cover --position STRATEGY`, and `--focus X,Y`
//! on both, turned into the one [`Position`] of the job.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use imgbatch::Position;

use crate::usage::UsageError;

/// How a crop is placed (libvips' and sharp's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Strategy {
    /// The middle of the image.
    #[value(alias = "center")]
    Centre,
    /// The busiest region: edges, skin tones, saturated colour.
    Attention,
    /// The region with the most detail, trimming the plainer sides.
    Entropy,
}

/// What followed `--crop`: its strategy, or the first input of a command
/// line written before strategies existed (`thumbs --crop photos`).
#[derive(Debug, Clone)]
pub enum CropValue {
    /// `--crop attention`.
    Strategy(Strategy),
    /// `--crop photos`: a centre crop of `photos`.
    Input(PathBuf),
}

/// `--crop`'s value: a strategy's name, else an input that exists.
pub fn crop_value(s: &str) -> Result<CropValue, UsageError> {
    match Strategy::from_str(s, true) {
        Ok(strategy) => Ok(CropValue::Strategy(strategy)),
        Err(_) if Path::new(s).exists() => Ok(CropValue::Input(s.into())),
        Err(_) => Err(UsageError::CropStrategy(s.into())),
    }
}

/// The strategy of `--crop` (none when it was not given); an input it
/// took goes back to the front of `inputs`, where it stood.
pub fn crop_strategy(crop: Option<CropValue>, inputs: &mut Vec<PathBuf>) -> Option<Strategy> {
    match crop? {
        CropValue::Strategy(s) => Some(s),
        CropValue::Input(path) => {
            inputs.insert(0, path);
            Some(Strategy::Centre)
        }
    }
}

/// `X,Y`: fractions (0–1) of the oriented image's width and height.
pub fn focus(s: &str) -> Result<(f64, f64), UsageError> {
    let bad = || UsageError::Focus(s.into());
    let (x, y) = s.split_once(',').ok_or_else(bad)?;
    let frac = |v: &str| v.trim().parse::<f64>().ok().filter(|f| (0.0..=1.0).contains(f)).ok_or_else(bad);
    Ok((frac(x)?, frac(y)?))
}

/// The job's position from a strategy (`None`: none given) and a focal
/// point; `flag` names the strategy's flag in the refusal of both at once.
pub fn position(
    strategy: Option<Strategy>,
    focus: Option<(f64, f64)>,
    flag: &'static str,
) -> Result<Position, UsageError> {
    match (strategy, focus) {
        (Some(Strategy::Attention | Strategy::Entropy), Some(_)) => Err(UsageError::FocusAndStrategy(flag)),
        (_, Some((x, y))) => Ok(Position::Focus { x, y }),
        (None | Some(Strategy::Centre), None) => Ok(Position::Centre),
        (Some(Strategy::Attention), None) => Ok(Position::Attention),
        (Some(Strategy::Entropy), None) => Ok(Position::Entropy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_takes_a_strategy_or_gives_back_an_input() {
        assert!(matches!(crop_value("attention"), Ok(CropValue::Strategy(Strategy::Attention))));
        assert!(matches!(crop_value("Center"), Ok(CropValue::Strategy(Strategy::Centre))));
        let here = env!("CARGO_MANIFEST_DIR");
        let Ok(CropValue::Input(p)) = crop_value(here) else { panic!("an existing folder is an input") };
        let mut inputs = vec![PathBuf::from("b")];
        assert_eq!(crop_strategy(Some(CropValue::Input(p.clone())), &mut inputs), Some(Strategy::Centre));
        assert_eq!(inputs, [p, PathBuf::from("b")]);
        assert!(crop_value("sideways").is_err());
        assert_eq!(crop_strategy(None, &mut inputs), None);
    }

    #[test]
    fn focus_takes_two_fractions() {
        assert_eq!(focus("0.25,1").ok(), Some((0.25, 1.0)));
        assert_eq!(focus(" 0 , 0.5").ok(), Some((0.0, 0.5)));
        for bad in ["0.5", "1.5,0", "a,b", "0.1;0.2", "-0.1,0"] {
            assert!(focus(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_focal_point_is_a_placement_of_its_own() {
        assert_eq!(position(None, None, "--crop").ok(), Some(Position::Centre));
        assert_eq!(position(Some(Strategy::Entropy), None, "--crop").ok(), Some(Position::Entropy));
        assert_eq!(
            position(Some(Strategy::Centre), Some((0.1, 0.2)), "--crop").ok(),
            Some(Position::Focus { x: 0.1, y: 0.2 })
        );
        assert!(position(Some(Strategy::Attention), Some((0.1, 0.2)), "--crop").is_err());
    }
}
