//! The Odoo sync (issue 14): sale orders become `subscriptions` (by
//! `odoo_sale_order_id`) and paid posted invoices become credit purchases (by
//! `odoo_invoice_id`), pulled through Odoo's external JSON-RPC API by a pass
//! that runs every `ODOO_SYNC_INTERVAL_SECONDS` beside the workers, at once on
//! `POST /webhooks/odoo`, or once with `atelier odoo-sync`.

pub mod apply;
pub mod rpc;
pub mod sync;
pub mod webhook;
