//! The credit ledger, usage log and billing subscriptions.

pub mod model;
pub mod usage;
