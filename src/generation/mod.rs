//! Generation requests: samples, selection, final.

pub mod model;
