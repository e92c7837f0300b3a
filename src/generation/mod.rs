//! Generation requests: samples, selection, final. `pipeline` is the only place a
//! request's status changes; `queue`, `steps` and `worker` run the jobs;
//! `providers` make the images.

pub mod events;
pub mod graphql;
pub mod history;
pub mod loaders;
pub mod model;
pub mod pipeline;
pub mod providers;
pub mod queue;
pub mod service;
pub mod state;
pub mod steps;
pub mod worker;
