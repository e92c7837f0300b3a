-- The plan catalogue and the credit packs, as data: `atelier plans import FILE`
-- loads them (the committed catalogue is plans.json); `plans` and `creditPacks`
-- read them. `id` is the key `subscriptions.plan_id` and checkout metadata name.
CREATE TABLE plans (
    id              varchar(50)   PRIMARY KEY,
    name            varchar(100)  NOT NULL,
    -- The users.subscription_tier a subscription to it gives, and with it the
    -- query budget (QUERY_BUDGET_FREE ... _ENTERPRISE).
    tier            varchar(20)   NOT NULL,
    price           numeric(10,2) NOT NULL,
    currency        char(3)       NOT NULL,
    monthly_credits numeric(10,2) NOT NULL,
    -- Members a Team or Enterprise plan covers; NULL for personal plans.
    seats           integer,
    stripe_price_id varchar(255),
    is_active       boolean       NOT NULL DEFAULT true,
    sort_order      integer       NOT NULL DEFAULT 0,
    created_at      timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_plans_tier CHECK (tier IN ('Free', 'Pro', 'Team', 'Enterprise')),
    CONSTRAINT ck_plans_price CHECK (price >= 0),
    CONSTRAINT ck_plans_monthly_credits CHECK (monthly_credits >= 0),
    CONSTRAINT ck_plans_seats CHECK (seats IS NULL OR seats > 0),
    CONSTRAINT ck_plans_currency CHECK (currency ~ '^[A-Z]{3}$')
);

CREATE TABLE credit_packs (
    id              varchar(50)   PRIMARY KEY,
    name            varchar(100)  NOT NULL,
    credits         numeric(10,2) NOT NULL,
    price           numeric(10,2) NOT NULL,
    currency        char(3)       NOT NULL,
    stripe_price_id varchar(255),
    is_active       boolean       NOT NULL DEFAULT true,
    sort_order      integer       NOT NULL DEFAULT 0,
    created_at      timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_creditpacks_credits CHECK (credits > 0),
    CONSTRAINT ck_creditpacks_price CHECK (price >= 0),
    CONSTRAINT ck_creditpacks_currency CHECK (currency ~ '^[A-Z]{3}$')
);

SELECT diesel_manage_updated_at('plans');
SELECT diesel_manage_updated_at('credit_packs');

-- A team's subscription (users-teams-schema.md: the Team plan pays for a pool
-- and seats); NULL for a personal one. The user stays the one who subscribed.
ALTER TABLE subscriptions
    ADD COLUMN team_id uuid REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION;
CREATE INDEX idx_subscription_teamid_status ON subscriptions USING btree (team_id, status);
-- A Stripe subscription is one row, whichever event reports it first.
CREATE UNIQUE INDEX uq_subscription_provider_subscription
    ON subscriptions (payment_provider, payment_provider_subscription_id)
    WHERE payment_provider_subscription_id IS NOT NULL;
