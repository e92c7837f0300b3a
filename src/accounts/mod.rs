//! Users, sessions, social connections, API clients and data exports: who is calling.

pub mod model;
pub mod password;
