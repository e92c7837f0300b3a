-- Creates assets, generation_requests and asset_versions, plus the deferred
-- FK assets.generation_request_id -> generation_requests (the two tables
-- reference each other).

CREATE TABLE assets (
    id                    uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id            uuid
                          REFERENCES projects (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    user_id               uuid          NOT NULL
                          REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    -- FK to generation_requests is added below, after that table exists.
    generation_request_id uuid,
    name                  varchar(255)  NOT NULL,
    type                  varchar(20)   NOT NULL,
    file_path             varchar(1024) NOT NULL,
    mime_type             varchar(50)   NOT NULL,
    format                varchar(10)   NOT NULL,
    resolution            varchar(20),
    is_final              boolean       NOT NULL DEFAULT false,
    metadata              jsonb,
    created_at            timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at            timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at            timestamptz,
    CONSTRAINT ck_assets_type CHECK (type IN ('Uploaded', 'AIGenerated', 'Derived'))
);

CREATE INDEX idx_asset_projectid_createdat ON assets USING btree (project_id, created_at);
CREATE INDEX idx_asset_userid ON assets USING btree (user_id);
CREATE INDEX idx_asset_generationrequestid ON assets USING btree (generation_request_id);
CREATE INDEX idx_asset_type ON assets USING btree (type);

SELECT diesel_manage_updated_at('assets');

CREATE TABLE generation_requests (
    id                  uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid          NOT NULL
                        REFERENCES users (id) ON DELETE RESTRICT ON UPDATE NO ACTION,
    -- NULLABLE on purpose: the spec marks project_id required but its FK is
    -- ON DELETE SET NULL; with NOT NULL every project delete would fail.
    project_id          uuid
                        REFERENCES projects (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    input_prompt        text          NOT NULL,
    style_guidance      text,
    input_parameters    jsonb,
    status              varchar(50)   NOT NULL DEFAULT 'Pending',
    error_message       text,
    sample_assets       jsonb,
    -- Refers to an asset listed in sample_assets; not an FK in the spec.
    selected_sample_id  uuid,
    final_asset_id      uuid
                        REFERENCES assets (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    credits_cost_sample numeric(10,2),
    credits_cost_final  numeric(10,2),
    ai_model_used       varchar(100),
    processing_time_ms  integer,
    created_at          timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Client-supplied key; unique per user when present (see index below).
    idempotency_key     varchar(255),
    CONSTRAINT ck_generation_requests_status
        CHECK (status IN ('Pending', 'ProcessingSamples', 'AwaitingSelection', 'ProcessingFinal',
                          'Completed', 'Failed', 'Cancelled', 'ContentRejected'))
);

CREATE INDEX idx_generationrequest_userid ON generation_requests USING btree (user_id);
CREATE INDEX idx_generationrequest_projectid ON generation_requests USING btree (project_id);
CREATE INDEX idx_generationrequest_status_createdat
    ON generation_requests USING btree (status, created_at);
-- The spec marks createdAt 'Indexed'; the composite index leads with status.
CREATE INDEX idx_generationrequest_createdat ON generation_requests USING btree (created_at);
CREATE UNIQUE INDEX uq_generationrequest_user_idempotency
    ON generation_requests (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

SELECT diesel_manage_updated_at('generation_requests');

-- Closes the cycle assets <-> generation_requests.
ALTER TABLE assets
    ADD FOREIGN KEY (generation_request_id)
    REFERENCES generation_requests (id) ON DELETE SET NULL ON UPDATE NO ACTION;

CREATE TABLE asset_versions (
    id                 uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    asset_id           uuid
                       REFERENCES assets (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    project_id         uuid
                       REFERENCES projects (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    version_number     integer       NOT NULL,
    file_path          varchar(1024),
    state_data         jsonb,
    description        text,
    created_by_user_id uuid
                       REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    created_at         timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_assetversion_assetid ON asset_versions USING btree (asset_id);
CREATE INDEX idx_assetversion_projectid ON asset_versions USING btree (project_id);
CREATE INDEX idx_assetversion_assetid_version ON asset_versions USING btree (asset_id, version_number);
CREATE INDEX idx_assetversion_projectid_version ON asset_versions USING btree (project_id, version_number);
