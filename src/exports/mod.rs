//! Data exports (issue 15): a user asks for a ZIP of their data; a job of the
//! queue builds it into storage; a signed, expiring link downloads it; the sweep
//! removes it after `DATA_EXPORT_TTL_DAYS`.

pub mod archive;
pub mod graphql;
pub mod job;
pub mod loaders;
pub mod model;
pub mod service;
