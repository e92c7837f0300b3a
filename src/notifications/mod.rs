//! Notifications and the event bus that carries them (and every other live event).

pub mod events;
pub mod graphql;
pub mod model;
pub mod service;
