DROP FUNCTION atelier_ledger_mismatches();
DROP TABLE credit_ledger_openings;
