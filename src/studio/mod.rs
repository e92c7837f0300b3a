//! The creative graph: brand kits, workbenches, projects, assets, versions, templates.

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod templates;
