//! The creative graph: brand kits, workbenches, projects, assets, versions, templates.

pub mod access;
pub mod assets;
pub mod brand_kits;
pub mod graphql;
pub mod loaders;
pub mod model;
pub mod projects;
pub mod service;
pub mod storage;
pub mod templates;
pub mod validate;
pub mod workbenches;
