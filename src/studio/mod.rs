//! The creative graph: brand kits, workbenches, projects, assets, versions, templates.
//!
//! The domain interior (CONTRIBUTING.md): `model` (rows), `service` (one file per
//! entity: transactions and rules on typed inputs; `service/mod.rs` is what other
//! domains may call), `graphql/` (objects, inputs, roots, guards), `loaders`
//! (`StudioLoaders`), and `storage` (where asset files live).

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod service;
pub mod storage;
