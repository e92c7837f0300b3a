ALTER TABLE subscriptions DROP COLUMN provider_event_at;
