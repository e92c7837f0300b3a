-- Reverts 2026-11-22-000006_create_api_clients_and_usage_logs.
DROP TABLE usage_logs;
DROP TABLE api_clients;
