DROP INDEX IF EXISTS idx_credittransaction_odooinvoiceid;
DROP TABLE IF EXISTS odoo_invoices;
DROP TABLE IF EXISTS odoo_sync_cursors;
