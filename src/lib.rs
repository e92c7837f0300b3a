//! Atelier: the GraphQL backend of an AI creative studio.
//!
//! Users join teams, keep brand kits, organise workbenches and projects, upload
//! assets and ask AI models for images, paid in credits. One GraphQL API
//! (`graphql`) over PostgreSQL (`db`), one folder per domain.

// The merged GraphQL root (one object per domain) nests deeper than the
// default 128 when rustc lays out its resolver futures.
#![recursion_limit = "256"]

pub mod accounts;
pub mod admin;
pub mod ai_models;
pub mod app;
pub mod authz;
pub mod billing;
pub mod bounds;
pub mod breaker;
pub mod cache;
pub mod config;
pub mod connections;
pub mod credits;
pub mod csrf;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod exports;
pub mod generation;
pub mod graphql;
pub mod listener;
pub mod metrics;
pub mod notifications;
pub mod pages;
pub mod rate_limit;
pub mod redis_link;
pub mod secrets;
pub mod server;
pub mod studio;
pub mod teams;
pub mod telemetry;
pub mod ws;
