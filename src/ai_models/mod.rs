//! AI models and their versions, validation results, deployments and feedback.

pub mod graphql;
pub mod loaders;
pub mod model;
