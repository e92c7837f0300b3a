//! Teams and their members.

pub mod model;
