//! Studio's services: one file per entity (transactions and rules on typed
//! inputs, called by studio's resolvers), and `public`, what other domains may
//! call (re-exported here, so they write `studio::service::insert_generated_assets`).

pub mod assets;
pub mod brand_kits;
pub mod projects;
mod public;
pub mod templates;
pub mod validate;
pub mod workbenches;

pub use public::*;
