-- Data exports (issue 15): what the user_data_exports rows of migration 000009
-- lacked to be produced by the job queue and served, and the queue's new kind.

ALTER TABLE user_data_exports
    -- The seed's kinds (model, dataset, showcase) and the GDPR-style 'account'.
    ADD CONSTRAINT ck_user_data_exports_kind
        CHECK (kind IN ('model', 'dataset', 'showcase', 'account')),
    -- Why a failed export failed, in words the user can read.
    ADD COLUMN failure_reason text,
    -- Size of the finished ZIP.
    ADD COLUMN byte_size bigint CONSTRAINT ck_user_data_exports_byte_size CHECK (byte_size >= 0),
    -- When the sweep removes the file (completed_at + DATA_EXPORT_TTL_DAYS).
    ADD COLUMN expires_at timestamptz,
    -- Set once the sweep removed the file; the row stays as history.
    ADD COLUMN removed_at timestamptz;

-- At most one export in progress per user.
CREATE UNIQUE INDEX uq_userdataexport_one_pending
    ON user_data_exports (user_id) WHERE status = 'pending';
CREATE INDEX idx_userdataexport_expiresat
    ON user_data_exports (expires_at) WHERE removed_at IS NULL AND expires_at IS NOT NULL;

-- The queue gets a second kind of job: a job is either a generation phase of a
-- request or the build of an export, never both.
ALTER TABLE generation_jobs
    ALTER COLUMN generation_request_id DROP NOT NULL,
    ADD COLUMN data_export_id uuid
        REFERENCES user_data_exports (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    DROP CONSTRAINT ck_generation_jobs_phase,
    ADD CONSTRAINT ck_generation_jobs_phase CHECK (phase IN ('samples', 'final', 'export')),
    ADD CONSTRAINT ck_generation_jobs_subject CHECK (
        CASE WHEN phase = 'export'
             THEN data_export_id IS NOT NULL AND generation_request_id IS NULL
             ELSE generation_request_id IS NOT NULL AND data_export_id IS NULL
        END);

CREATE UNIQUE INDEX uq_generationjob_dataexport ON generation_jobs (data_export_id)
    WHERE data_export_id IS NOT NULL;
