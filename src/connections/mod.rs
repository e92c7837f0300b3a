//! Social media connections: a user's accounts on Instagram, TikTok and the
//! others, connected with OAuth 2.0 (code + PKCE), their tokens sealed at rest
//! and refreshed before they expire.

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod publishing;
pub mod service;
