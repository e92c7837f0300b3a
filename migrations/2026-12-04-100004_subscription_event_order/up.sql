-- The `created` time of the newest provider event applied to a subscription:
-- Stripe does not deliver in order, and an older `customer.subscription.updated`
-- must never overwrite a newer state.
ALTER TABLE subscriptions ADD COLUMN provider_event_at timestamptz;
