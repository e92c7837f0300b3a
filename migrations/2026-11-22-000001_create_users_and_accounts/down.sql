-- Reverts 2026-11-22-000001_create_users_and_accounts.
DROP TABLE subscriptions;
DROP TABLE social_media_connections;
DROP TABLE sessions;
DROP TABLE users;
