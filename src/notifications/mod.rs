//! Notifications: stored per user, marked read, pushed live through the event bus.

pub mod graphql;
pub mod model;
pub mod service;
