//! The model registry: AI models, their versions and statuses, validation
//! results, deployments and routing, and feedback.

pub mod deployments;
pub mod feedback;
pub mod graphql;
pub mod import;
pub mod loaders;
pub mod model;
pub mod parameters;
pub mod service;
pub mod state;
pub mod validation;
