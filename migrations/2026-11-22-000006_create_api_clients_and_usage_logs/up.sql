-- Creates api_clients (developer API credentials) and usage_logs.

CREATE TABLE api_clients (
    id                 uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid         NOT NULL
                       REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    name               varchar(100) NOT NULL,
    api_key            varchar(100) NOT NULL,
    secret_hash        varchar(255) NOT NULL,
    permissions        jsonb,
    is_active          boolean      NOT NULL DEFAULT true,
    created_at         timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at         timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Optional owning team (NULL = personal key).
    team_id            uuid
                       REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    expires_at         timestamptz,
    last_used_at       timestamptz,
    allowed_origins    jsonb        NOT NULL DEFAULT '[]',
    allowed_ips        jsonb        NOT NULL DEFAULT '[]',
    rate_limit_per_min integer,
    scopes             jsonb        NOT NULL DEFAULT '[]',
    CONSTRAINT ck_api_clients_allowed_origins CHECK (jsonb_typeof(allowed_origins) = 'array'),
    CONSTRAINT ck_api_clients_allowed_ips CHECK (jsonb_typeof(allowed_ips) = 'array'),
    CONSTRAINT ck_api_clients_rate_limit_per_min
        CHECK (rate_limit_per_min IS NULL OR rate_limit_per_min > 0),
    CONSTRAINT ck_api_clients_scopes CHECK (jsonb_typeof(scopes) = 'array'),
    CONSTRAINT uq_apiclient_apikey UNIQUE (api_key)
);

-- Redundant with uq_apiclient_apikey, but listed by the spec.
CREATE UNIQUE INDEX idx_apiclient_apikey_unique ON api_clients USING btree (api_key);
CREATE INDEX idx_apiclient_userid ON api_clients USING btree (user_id);

SELECT diesel_manage_updated_at('api_clients');

CREATE TABLE usage_logs (
    id                    bigserial    PRIMARY KEY,
    -- NULLABLE on purpose: the spec marks user_id required but its FK is
    -- ON DELETE SET NULL; with NOT NULL every user delete would fail.
    user_id               uuid
                          REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    generation_request_id uuid
                          REFERENCES generation_requests (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    api_client_id         uuid
                          REFERENCES api_clients (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    action_type           varchar(100) NOT NULL,
    details               jsonb,
    credits_cost          numeric(10,2),
    "timestamp"           timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_usagelog_userid_timestamp ON usage_logs USING btree (user_id, "timestamp");
CREATE INDEX idx_usagelog_actiontype ON usage_logs USING btree (action_type);
CREATE INDEX idx_usagelog_generationrequestid ON usage_logs USING btree (generation_request_id);
CREATE INDEX idx_usagelog_apiclientid ON usage_logs USING btree (api_client_id);
