//! The credit ledger, usage log and billing subscriptions.

pub mod graphql;
pub mod history;
pub mod ledger;
pub mod model;
pub mod service;
pub mod usage;
