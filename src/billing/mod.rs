//! Billing: payments from Stripe (webhooks verified and applied once). Plans,
//! checkouts and the Odoo sync are to come (README, "Billing").

pub mod signature;
pub mod webhooks;
