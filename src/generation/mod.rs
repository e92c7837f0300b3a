//! Generation requests: samples, selection, final.

pub mod graphql;
pub mod loaders;
pub mod model;
