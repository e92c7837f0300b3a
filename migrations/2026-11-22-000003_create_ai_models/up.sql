-- Creates the AI model registry: ai_models, ai_model_versions,
-- ai_model_validation_results and ai_model_deployments, plus the deferred
-- FK ai_model_versions.validation_result_id -> ai_model_validation_results
-- (the two tables reference each other).

CREATE TABLE ai_models (
    id          uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    name        varchar(100) NOT NULL,
    description text,
    provider    varchar(50)  NOT NULL,
    task_type   varchar(50)  NOT NULL,
    is_active   boolean      NOT NULL DEFAULT true,
    created_at  timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_ai_models_task_type
        CHECK (task_type IN ('ImageGeneration', 'TextGeneration', 'ImageTransformation', 'StyleTransfer', 'ContentSafety')),
    CONSTRAINT uq_aimodel_name UNIQUE (name)
);

CREATE INDEX idx_aimodel_provider_tasktype ON ai_models USING btree (provider, task_type);
-- The spec marks taskType and isActive 'Indexed' without naming indexes.
CREATE INDEX idx_aimodel_tasktype ON ai_models USING btree (task_type);
CREATE INDEX idx_aimodel_isactive ON ai_models USING btree (is_active);

SELECT diesel_manage_updated_at('ai_models');

CREATE TABLE ai_model_versions (
    id                   uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    model_id             uuid          NOT NULL
                         REFERENCES ai_models (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    version_number       varchar(50)   NOT NULL,
    source_path          varchar(1024),
    format               varchar(50),
    parameters           jsonb,
    status               varchar(50)   NOT NULL DEFAULT 'Staged',
    -- FK to ai_model_validation_results is added below, after that table exists.
    validation_result_id uuid,
    created_by_user_id   uuid
                         REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    release_notes        text,
    created_at           timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at           timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_ai_model_versions_status
        CHECK (status IN ('Staged', 'Production', 'Deprecated', 'Archived', 'Failed')),
    CONSTRAINT uq_aimodelversion_model_version UNIQUE (model_id, version_number)
);

CREATE INDEX idx_aimodelversion_modelid ON ai_model_versions USING btree (model_id);
CREATE INDEX idx_aimodelversion_status ON ai_model_versions USING btree (status);

SELECT diesel_manage_updated_at('ai_model_versions');

CREATE TABLE ai_model_validation_results (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    model_version_id      uuid        NOT NULL
                          REFERENCES ai_model_versions (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    validation_timestamp  timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    security_scan_status  varchar(50) NOT NULL,
    functional_status     varchar(50) NOT NULL,
    performance_benchmark jsonb,
    results               jsonb,
    validated_by_user_id  uuid
                          REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    created_at            timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_ai_model_validation_results_security_scan_status
        CHECK (security_scan_status IN ('Passed', 'Failed', 'Pending', 'Skipped')),
    CONSTRAINT ck_ai_model_validation_results_functional_status
        CHECK (functional_status IN ('Passed', 'Failed', 'Pending', 'Skipped'))
);

CREATE INDEX idx_aimodelvalidationresult_versionid
    ON ai_model_validation_results USING btree (model_version_id);
CREATE INDEX idx_aimodelvalidationresult_timestamp
    ON ai_model_validation_results USING btree (validation_timestamp);

-- Closes the cycle ai_model_versions <-> ai_model_validation_results.
ALTER TABLE ai_model_versions
    ADD FOREIGN KEY (validation_result_id)
    REFERENCES ai_model_validation_results (id) ON DELETE SET NULL ON UPDATE NO ACTION;

CREATE TABLE ai_model_deployments (
    id                   uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    model_version_id     uuid         NOT NULL
                         REFERENCES ai_model_versions (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    environment          varchar(50)  NOT NULL,
    status               varchar(50)  NOT NULL DEFAULT 'Initiated',
    deployment_strategy  varchar(50),
    endpoint             varchar(255),
    kubernetes_details   jsonb,
    deployed_by_user_id  uuid
                         REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    deployment_timestamp timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at           timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at           timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_ai_model_deployments_environment
        CHECK (environment IN ('staging', 'production', 'testing')),
    CONSTRAINT ck_ai_model_deployments_status
        CHECK (status IN ('Initiated', 'Deploying', 'Active', 'Inactive', 'Failed', 'RolledBack'))
);

CREATE INDEX idx_aimodeldeployment_versionid_env
    ON ai_model_deployments USING btree (model_version_id, environment);
CREATE INDEX idx_aimodeldeployment_status ON ai_model_deployments USING btree (status);
-- The spec marks environment 'Indexed'; the composite index leads with the version.
CREATE INDEX idx_aimodeldeployment_environment ON ai_model_deployments USING btree (environment);

SELECT diesel_manage_updated_at('ai_model_deployments');
