//! Per-output quality to a perceptual target or a size cap (issue 30,
//! work in progress on this branch: the search and the score so far).

pub mod score;
pub mod search;
