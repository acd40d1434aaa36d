//! Why a command line is refused before any work (exit 2): the binary's
//! one error type, each variant the sentence the user reads after `error:`.

use std::path::PathBuf;

use imgbatch::SetupError;
use imgbatch::units::BadSize;
use thiserror::Error;

/// A command line that cannot be run as given.
#[derive(Debug, Error)]
pub enum UsageError {
    /// `--format` names an output this build cannot encode.
    #[error("--format {arg}: this build has no {name} encoder (build with {features})")]
    NoEncoder {
        /// The name the user gave.
        arg: &'static str,
        /// The format's display name.
        name: &'static str,
        /// The cargo features that would add one.
        features: &'static str,
    },
    /// A negative or non-finite `--timeout`.
    #[error("--timeout {0}: give seconds, 0 for none")]
    Timeout(f64),
    /// A size flag that does not parse.
    #[error("{flag}: {source}")]
    Size {
        /// `--max-memory` or `--max-file-size`.
        flag: &'static str,
        /// Why.
        #[source]
        source: BadSize,
    },
    /// The worker processes need this program's own path.
    #[error("cannot find this program: {0}")]
    ThisProgram(#[source] std::io::Error),
    /// `resize` without a box.
    #[error("resize needs --width and/or --height")]
    NoTarget,
    /// `bench` or `report` where a processing command was expected.
    #[error("not a processing job")]
    NotAJob,
    /// `--files-from` or `--retry-failed` with other than one input.
    #[error("--files-from and --retry-failed take exactly one input folder")]
    ListNeedsOneFolder,
    /// `--files-from` or `--retry-failed` with an input that is not a folder.
    #[error("--files-from and --retry-failed: {} is not a folder", .0.display())]
    ListRootNotFolder(PathBuf),
    /// A result file (`--report`, `--export-*`, `--plot`) whose folder is missing.
    #[error("{flag} {}: folder {} does not exist", path.display(), folder.display())]
    NoFolder {
        /// The flag that named the file.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// Its folder.
        folder: PathBuf,
    },
    /// A size given apart from `--sizes`, taken as an input that does not exist.
    #[error("input {input}: no such file or folder; several sizes are one comma-separated list: --sizes {sizes}")]
    LooseSize {
        /// The would-be input.
        input: String,
        /// The list the user probably meant.
        sizes: String,
    },
    /// A thumbnail size written as a box (`128x128`).
    #[error(
        "{0:?}: a size is one number, the side of a square box (e.g. 128); for a width x height box use resize --width W --height H"
    )]
    SizeIsABox(String),
    /// A thumbnail size out of range.
    #[error("{0:?}: a size must be 1-65535 pixels")]
    SizeOutOfRange(String),
    /// A thumbnail size that is not a number.
    #[error("{0:?} is not a number of pixels (sizes are comma-separated, e.g. 128,256)")]
    SizeNotANumber(String),
    /// `--crop` followed by neither a strategy nor an input.
    #[error("--crop {0:?}: not a strategy (centre, attention, entropy) nor an input file or folder")]
    CropStrategy(String),
    /// No input at all.
    #[error("give at least one image file or folder")]
    NoInputs,
    /// `--focus` that is not two fractions.
    #[error("--focus {0:?}: give X,Y as fractions of the width and height, from 0 to 1 (e.g. 0.5,0.3)")]
    Focus(String),
    /// `--focus` with a strategy that finds its own focal point.
    #[error("--focus and {0} attention|entropy both place the crop: give one")]
    FocusAndStrategy(&'static str),
    /// `--position` or `--focus` where nothing is cropped.
    #[error("{0} places the crop of --fit cover: add --fit cover")]
    PositionNeedsCover(&'static str),
    /// `thumbs --focus` without `--crop`.
    #[error("--focus places the crop of square thumbnails: add --crop")]
    FocusNeedsCrop,
    /// The library's own check of the job (and of colours, lists, shards).
    #[error(transparent)]
    Setup(#[from] SetupError),
}
