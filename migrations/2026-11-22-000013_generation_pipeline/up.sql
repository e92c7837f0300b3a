-- The generation pipeline: a state machine the database enforces, phases paid
-- and refunded exactly once, and a job queue in PostgreSQL.

-- Which status may follow which. The application uses the same table
-- (generation::state); the trigger makes any other writer obey it too.
CREATE TABLE generation_status_transitions (
    from_status varchar(50) NOT NULL,
    to_status varchar(50) NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO generation_status_transitions (from_status, to_status) VALUES
    ('Pending', 'ProcessingSamples'),
    ('Pending', 'Failed'),
    ('Pending', 'Cancelled'),
    ('Pending', 'ContentRejected'),
    ('ProcessingSamples', 'AwaitingSelection'),
    ('ProcessingSamples', 'Failed'),
    ('ProcessingSamples', 'Cancelled'),
    ('ProcessingSamples', 'ContentRejected'),
    ('AwaitingSelection', 'ProcessingFinal'),
    ('AwaitingSelection', 'Failed'),
    ('AwaitingSelection', 'Cancelled'),
    ('ProcessingFinal', 'Completed'),
    ('ProcessingFinal', 'Failed'),
    ('ProcessingFinal', 'Cancelled');

CREATE FUNCTION atelier_check_generation_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'Pending' THEN
            RAISE EXCEPTION 'a generation request starts Pending, not %', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_generation_transition';
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM generation_status_transitions
         WHERE from_status = OLD.status AND to_status = NEW.status
    ) THEN
        RAISE EXCEPTION 'a generation request cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_generation_transition';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_generation_requests_transition
    BEFORE INSERT OR UPDATE OF status ON generation_requests
    FOR EACH ROW EXECUTE FUNCTION atelier_check_generation_transition();

ALTER TABLE generation_requests
    -- Who pays: the team pool when the project belongs to a team, else the user.
    ADD COLUMN team_id uuid REFERENCES teams (id) ON DELETE SET NULL,
    ADD COLUMN ai_model_version_id uuid REFERENCES ai_model_versions (id) ON DELETE SET NULL,
    -- Each phase is charged once and refunded at most once; these mark it.
    ADD COLUMN sample_charged_at timestamptz,
    ADD COLUMN final_charged_at timestamptz,
    ADD COLUMN sample_refunded_at timestamptz,
    ADD COLUMN final_refunded_at timestamptz,
    -- When the current phase must be over (then it fails, with its refund).
    ADD COLUMN phase_deadline timestamptz,
    ADD COLUMN completed_at timestamptz;
CREATE INDEX idx_generationrequest_deadline ON generation_requests (phase_deadline)
    WHERE status IN ('Pending', 'ProcessingSamples', 'AwaitingSelection', 'ProcessingFinal');

-- Work for the workers. A job is claimed with FOR UPDATE SKIP LOCKED under a
-- lease; a job whose worker died is claimed again once the lease has lapsed.
CREATE TABLE generation_jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    generation_request_id uuid NOT NULL REFERENCES generation_requests (id) ON DELETE CASCADE,
    phase varchar(20) NOT NULL CONSTRAINT ck_generation_jobs_phase CHECK (phase IN ('samples', 'final')),
    status varchar(20) NOT NULL DEFAULT 'queued'
        CONSTRAINT ck_generation_jobs_status CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CONSTRAINT ck_generation_jobs_attempts CHECK (attempts >= 0),
    run_after timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    locked_by varchar(100),
    lease_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_generationjob_request_phase UNIQUE (generation_request_id, phase)
);
CREATE INDEX idx_generationjob_claimable ON generation_jobs (run_after)
    WHERE status IN ('queued', 'running');
SELECT diesel_manage_updated_at('generation_jobs');
