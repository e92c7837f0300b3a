//! The platform admin's queries and actions, and the audit log every one of them writes.

pub mod audit;
pub mod graphql;
pub mod model;
pub mod service;
pub mod stats;
