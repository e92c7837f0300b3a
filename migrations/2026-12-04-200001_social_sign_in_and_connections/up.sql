-- Social sign-in (OpenID Connect) and social media connections (issue 15).

-- One authorization-code flow in progress: its state (hashed), the PKCE verifier
-- (sealed with ENCRYPTION_KEY) and the nonce, kept server-side for ten minutes and
-- deleted when used, so a state works once. A 'link' row is a verified social
-- identity waiting for the owner of the matching account to confirm it.
CREATE TABLE oauth_flows (
    id              uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    state_hash      varchar(64)   NOT NULL,
    purpose         varchar(20)   NOT NULL,
    provider        varchar(20)   NOT NULL,
    user_id         uuid          REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    redirect_uri    varchar(1024),
    code_verifier   text,
    nonce           varchar(64),
    subject         varchar(255),
    email           varchar(255),
    email_verified  boolean       NOT NULL DEFAULT false,
    expires_at      timestamptz   NOT NULL,
    created_at      timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_oauthflow_state UNIQUE (state_hash),
    CONSTRAINT ck_oauth_flows_purpose CHECK (purpose IN ('sign_in', 'connection', 'link'))
);

CREATE INDEX idx_oauthflow_expiresat ON oauth_flows USING btree (expires_at);
CREATE INDEX idx_oauthflow_userid ON oauth_flows USING btree (user_id);

-- A connection whose refresh failed is kept (the user sees it expired and
-- reconnects) but never used.
ALTER TABLE social_media_connections
    ADD COLUMN status varchar(20) NOT NULL DEFAULT 'active',
    ADD CONSTRAINT ck_social_media_connections_status CHECK (status IN ('active', 'expired'));

CREATE INDEX idx_socialconnection_expiresat ON social_media_connections USING btree (expires_at)
    WHERE status = 'active';
