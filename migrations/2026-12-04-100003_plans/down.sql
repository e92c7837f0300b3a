DROP INDEX uq_subscription_provider_subscription;
DROP INDEX idx_subscription_teamid_status;
ALTER TABLE subscriptions DROP COLUMN team_id;
DROP TABLE credit_packs;
DROP TABLE plans;
