//! The platform admin's actions.
