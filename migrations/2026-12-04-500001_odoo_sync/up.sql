-- The Odoo sync (issue 14): where each pulled model stands, and what each
-- posted invoice has put into the ledger.
--
-- The cursor is the (write_date, id) of the last record applied, compared the
-- way Odoo does (write_date as Odoo's own 'YYYY-MM-DD HH:MM:SS' UTC text), so a
-- pass asks for "write_date > w, or write_date = w and id > i" and never skips
-- a record that shares its write_date with the last one of a page.
CREATE TABLE odoo_sync_cursors (
    model       varchar(64)  PRIMARY KEY,
    write_date  varchar(32)  NOT NULL DEFAULT '',
    last_id     bigint       NOT NULL DEFAULT 0,
    last_run_at timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_odoosynccursors_model CHECK (model IN ('sale.order', 'account.move'))
);

-- One row per Odoo invoice that moved credits, inserted or locked in the same
-- transaction as its ledger rows: an invoice seen again (a second pass, a
-- second worker) finds it and only the difference, if any, is written.
CREATE TABLE odoo_invoices (
    odoo_invoice_id varchar(255)  PRIMARY KEY,
    user_id         uuid          NOT NULL
                    REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    team_id         uuid
                    REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    -- Credits this invoice has put into the holder's balance so far.
    credits         numeric(10,2) NOT NULL,
    write_date      varchar(32)   NOT NULL,
    synced_at       timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_odooinvoices_credits CHECK (credits >= 0)
);

CREATE INDEX idx_odooinvoice_userid ON odoo_invoices USING btree (user_id);
CREATE INDEX idx_odooinvoice_teamid ON odoo_invoices USING btree (team_id);
-- The ledger rows an invoice made are found by it.
CREATE INDEX idx_credittransaction_odooinvoiceid
    ON credit_transactions USING btree (odoo_invoice_id);
