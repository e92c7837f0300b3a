-- Reverts 2026-11-22-000008_create_notifications.
-- Dropping the parent drops all of its partitions.
DROP TABLE notifications;
