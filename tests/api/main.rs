//! Integration tests: one binary, one module per feature, each test on its own database.

mod ai_models;
mod constraints;
mod helpers;
mod migrations;
mod node;
mod partitions;
mod redis;
mod schema;
mod server;
mod zero_config;
