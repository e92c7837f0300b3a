//! Integration tests: one binary, one module per feature, each test on its own database.

mod accounts;
mod ai_models;
mod api_clients;
mod bad_input;
mod batching;
mod constraints;
mod generation;
mod helpers;
mod http;
mod limits;
mod migrations;
mod node;
mod partitions;
mod permissions;
mod redis;
mod schema;
mod secrets_at_rest;
mod server;
mod studio;
mod subscriptions;
mod telemetry;
mod templates;
mod uploads;
mod websocket;
mod zero_config;
