DROP TABLE billing_grants;
DROP TABLE stripe_events;
