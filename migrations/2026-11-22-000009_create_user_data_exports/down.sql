-- Reverts 2026-11-22-000009_create_user_data_exports.
DROP TABLE user_data_exports;
