//! Per-output quality to a perceptual target or a size cap (issue 30,
//! work in progress on this branch: the search alone so far).

pub mod search;
