//! Billing: the plan catalogue (`plans import`), subscriptions, and payments
//! from Stripe (webhooks verified and applied once). Checkouts and the Odoo sync
//! are to come (README, "Billing").

pub mod checkout;
pub mod grants;
pub mod graphql;
pub mod loaders;
pub mod model;
pub mod odoo;
pub mod plans;
pub mod service;
pub mod signature;
pub mod webhooks;
