//! Generation requests: samples, selection, final; the job queue, its workers and
//! the image providers.

pub mod events;
pub mod graphql;
pub mod loaders;
pub mod model;
pub mod providers;
pub mod service;
pub mod state;
pub mod worker;
