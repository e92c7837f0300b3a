-- Reverts 2026-11-22-000007_create_credit_transactions.
-- Dropping the parent drops all of its partitions (including ones created
-- later by atelier_create_monthly_partitions).
DROP TABLE credit_transactions;
DROP FUNCTION atelier_create_monthly_partitions(regclass, integer);
