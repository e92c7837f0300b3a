//! Integration tests: one binary, one module per feature, each test on its own database.

mod accounts;
mod ai_models;
mod api_clients;
mod constraints;
mod helpers;
mod migrations;
mod node;
mod partitions;
mod redis;
mod schema;
mod secrets_at_rest;
mod server;
mod zero_config;
