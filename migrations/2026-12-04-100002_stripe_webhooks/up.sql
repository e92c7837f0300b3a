-- Stripe webhook deliveries, applied once. Stripe sends an event again until it
-- gets a 2xx, and may send it twice or concurrently: the event id is the key of
-- `stripe_events`, inserted in the same transaction as the event's effect, so a
-- second delivery finds it (or waits on the first one's row lock and then finds
-- it) and changes nothing.
CREATE TABLE stripe_events (
    event_id    varchar(255) PRIMARY KEY,
    event_type  varchar(100) NOT NULL,
    -- applied: its effect was written; ignored: an event type or object Atelier
    -- does not act on; already_granted: another event had granted the same object.
    outcome     varchar(20)  NOT NULL,
    received_at timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_stripeevents_outcome
        CHECK (outcome IN ('applied', 'ignored', 'already_granted'))
);

-- Credits granted for a payment, one row per paid object: a checkout session
-- (`checkout:cs_...`) or an invoice (`invoice:in_...`). Two events about the
-- same object (a checkout completing and its async payment succeeding, an
-- event re-sent under a new id) still grant once.
CREATE TABLE billing_grants (
    grant_key       varchar(255)  PRIMARY KEY,
    user_id         uuid          NOT NULL
                    REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    team_id         uuid
                    REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    amount          numeric(10,2) NOT NULL,
    action_type     varchar(50)   NOT NULL,
    stripe_event_id varchar(255),
    created_at      timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_billinggrants_amount CHECK (amount > 0),
    CONSTRAINT ck_billinggrants_action_type
        CHECK (action_type IN ('purchase', 'subscription_grant'))
);

CREATE INDEX idx_billinggrant_userid ON billing_grants USING btree (user_id);
CREATE INDEX idx_billinggrant_teamid ON billing_grants USING btree (team_id);
