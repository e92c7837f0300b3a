-- The model registry made operable: at most one Production version per model,
-- version and deployment statuses that move only along their state tables,
-- canary weights on deployments, and the deployment that served a request.

-- At most one Production version per model, whatever writes the rows: two
-- concurrent promotions cannot both commit.
CREATE UNIQUE INDEX uq_aimodelversion_one_production ON ai_model_versions (model_id)
    WHERE status = 'Production';

-- Which status may follow which, per kind of row ('version' or 'deployment').
-- The application uses the same tables (ai_models::state); the triggers make
-- any other writer obey them too.
CREATE TABLE ai_model_status_transitions (
    kind        varchar(20) NOT NULL
                CONSTRAINT ck_ai_model_status_transitions_kind CHECK (kind IN ('version', 'deployment')),
    from_status varchar(50) NOT NULL,
    to_status   varchar(50) NOT NULL,
    PRIMARY KEY (kind, from_status, to_status)
);
INSERT INTO ai_model_status_transitions (kind, from_status, to_status) VALUES
    ('version', 'Staged', 'Production'),
    ('version', 'Staged', 'Failed'),
    ('version', 'Staged', 'Archived'),
    ('version', 'Production', 'Deprecated'),
    -- A deprecated version can be put back (a rollback of a promotion).
    ('version', 'Deprecated', 'Production'),
    ('version', 'Deprecated', 'Archived'),
    ('version', 'Failed', 'Archived'),
    ('deployment', 'Initiated', 'Deploying'),
    ('deployment', 'Initiated', 'Failed'),
    ('deployment', 'Deploying', 'Active'),
    ('deployment', 'Deploying', 'Failed'),
    ('deployment', 'Active', 'Inactive'),
    ('deployment', 'Active', 'RolledBack'),
    ('deployment', 'Active', 'Failed'),
    -- A rollback makes the previous deployment serve again.
    ('deployment', 'Inactive', 'Active');

-- TG_ARGV[0]: the kind; TG_ARGV[1]: the status a new row must start in.
CREATE FUNCTION atelier_check_ai_model_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> TG_ARGV[1] THEN
            RAISE EXCEPTION 'a new % starts %, not %', TG_ARGV[0], TG_ARGV[1], NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_ai_model_transition';
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM ai_model_status_transitions
         WHERE kind = TG_ARGV[0] AND from_status = OLD.status AND to_status = NEW.status
    ) THEN
        RAISE EXCEPTION 'a % cannot go from % to %', TG_ARGV[0], OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_ai_model_transition';
    END IF;
    RETURN NEW;
END;
$$;
-- Versions may be imported in any status (a catalogue as code), so only their
-- updates are checked; a deployment always starts Initiated.
CREATE TRIGGER trg_ai_model_versions_transition
    BEFORE UPDATE OF status ON ai_model_versions
    FOR EACH ROW EXECUTE FUNCTION atelier_check_ai_model_transition('version', 'Staged');
CREATE TRIGGER trg_ai_model_deployments_transition
    BEFORE INSERT OR UPDATE OF status ON ai_model_deployments
    FOR EACH ROW EXECUTE FUNCTION atelier_check_ai_model_transition('deployment', 'Initiated');

ALTER TABLE ai_model_deployments
    -- The share of the model's requests this deployment serves while Active.
    ADD COLUMN traffic_percent integer NOT NULL DEFAULT 100
        CONSTRAINT ck_ai_model_deployments_traffic_percent
        CHECK (traffic_percent BETWEEN 0 AND 100),
    -- When it last became Active: a rollback goes back to the latest one before.
    ADD COLUMN activated_at timestamptz;
-- Routing reads the Active deployments of an environment.
CREATE INDEX idx_aimodeldeployment_active ON ai_model_deployments (environment, model_version_id)
    WHERE status = 'Active';

ALTER TABLE generation_requests
    ADD COLUMN ai_model_deployment_id uuid
        REFERENCES ai_model_deployments (id) ON DELETE SET NULL ON UPDATE NO ACTION;
CREATE INDEX idx_generationrequest_deploymentid ON generation_requests (ai_model_deployment_id);
