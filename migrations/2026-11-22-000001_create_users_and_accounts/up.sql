-- Creates users and the per-user account tables: sessions,
-- social_media_connections and subscriptions.

CREATE TABLE users (
    id                       uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    email                    varchar(255)  NOT NULL,
    password_hash            varchar(255),
    social_provider          varchar(50),
    social_provider_id       varchar(255),
    is_email_verified        boolean       NOT NULL DEFAULT false,
    email_verification_token varchar(255),
    password_reset_token     varchar(255),
    password_reset_expires   timestamptz,
    full_name                varchar(100),
    username                 varchar(50),
    profile_picture_url      varchar(1024),
    language_preference      varchar(10)   NOT NULL DEFAULT 'en-US',
    timezone                 varchar(50)   NOT NULL DEFAULT 'UTC',
    mfa_enabled              boolean       NOT NULL DEFAULT false,
    mfa_secret               varchar(255),
    subscription_tier        varchar(20)   NOT NULL DEFAULT 'Free',
    credit_balance           numeric(10,2) NOT NULL DEFAULT 0.00,
    last_login_at            timestamptz,
    created_at               timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at               timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at               timestamptz,
    currency_preference      varchar(3)    NOT NULL DEFAULT 'USD',
    number_notation          varchar(20)   NOT NULL DEFAULT 'standard',
    is_platform_admin        boolean       NOT NULL DEFAULT false,
    CONSTRAINT ck_users_social_provider
        CHECK (social_provider IN ('google', 'facebook', 'apple')),
    CONSTRAINT ck_users_subscription_tier
        CHECK (subscription_tier IN ('Free', 'Pro', 'Team', 'Enterprise')),
    CONSTRAINT ck_users_credit_balance CHECK (credit_balance >= 0),
    CONSTRAINT uq_user_email UNIQUE (email),
    CONSTRAINT uq_user_username UNIQUE (username)
);

-- uq_user_social is a conditional unique constraint in the spec; Postgres
-- UNIQUE constraints cannot be partial, so it is a partial unique index.
CREATE UNIQUE INDEX uq_user_social ON users (social_provider, social_provider_id)
    WHERE social_provider IS NOT NULL AND social_provider_id IS NOT NULL;
-- The spec also lists these (redundant) unique indexes; created as specified.
CREATE UNIQUE INDEX idx_user_email_unique ON users USING btree (email);
CREATE UNIQUE INDEX idx_user_username_unique ON users USING btree (username)
    WHERE username IS NOT NULL;
CREATE UNIQUE INDEX idx_user_social_unique ON users USING btree (social_provider, social_provider_id)
    WHERE social_provider IS NOT NULL AND social_provider_id IS NOT NULL;
CREATE INDEX idx_user_subscriptiontier ON users USING btree (subscription_tier);
-- The spec marks languagePreference 'Indexed' without naming an index.
CREATE INDEX idx_user_languagepreference ON users USING btree (language_preference);
CREATE INDEX idx_user_deletedat ON users USING btree (deleted_at)
    WHERE deleted_at IS NOT NULL;

SELECT diesel_manage_updated_at('users');

CREATE TABLE sessions (
    id            uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid         NOT NULL
                  REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    device_info   varchar(255) NOT NULL,
    ip_address    varchar(45)  NOT NULL,
    user_agent    text,
    last_activity timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at    timestamptz  NOT NULL,
    created_at    timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_session_userid_expiresat ON sessions USING btree (user_id, expires_at);
CREATE INDEX idx_session_expiresat ON sessions USING btree (expires_at);
CREATE INDEX idx_session_lastactivity ON sessions USING btree (last_activity);

CREATE TABLE social_media_connections (
    id               uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid         NOT NULL
                     REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    platform         varchar(20)  NOT NULL,
    external_user_id varchar(100) NOT NULL,
    access_token     text         NOT NULL, -- encrypted at rest by the application
    refresh_token    text,                  -- encrypted at rest by the application
    expires_at       timestamptz,
    created_at       timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_social_media_connections_platform
        CHECK (platform IN ('Instagram', 'Facebook', 'LinkedIn', 'Twitter', 'Pinterest', 'TikTok')),
    CONSTRAINT uq_socialconnection_user_platform UNIQUE (user_id, platform)
);

CREATE INDEX idx_socialconnection_userid_platform
    ON social_media_connections USING btree (user_id, platform);

SELECT diesel_manage_updated_at('social_media_connections');

CREATE TABLE subscriptions (
    id                               uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                          uuid         NOT NULL
                                     REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    odoo_sale_order_id               varchar(255) NOT NULL,
    plan_id                          varchar(50)  NOT NULL,
    status                           varchar(20)  NOT NULL DEFAULT 'Active',
    current_period_start             timestamptz  NOT NULL,
    current_period_end               timestamptz  NOT NULL,
    payment_provider                 varchar(50)  NOT NULL,
    payment_provider_subscription_id varchar(255),
    payment_method_id                varchar(255),
    created_at                       timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                       timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_subscriptions_status
        CHECK (status IN ('Active', 'Trial', 'Suspended', 'Cancelled', 'Expired')),
    CONSTRAINT ck_subscriptions_payment_provider
        CHECK (payment_provider IN ('Stripe', 'PayPal', 'OdooManual')),
    CONSTRAINT uq_subscription_odoo_so UNIQUE (odoo_sale_order_id)
);

CREATE INDEX idx_subscription_userid_status ON subscriptions USING btree (user_id, status);
CREATE INDEX idx_subscription_currentperiodend ON subscriptions USING btree (current_period_end);

SELECT diesel_manage_updated_at('subscriptions');
