//! Teams and their members.

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod service;
