DROP INDEX uq_generationjob_dataexport;
DELETE FROM generation_jobs WHERE phase = 'export';
ALTER TABLE generation_jobs
    DROP CONSTRAINT ck_generation_jobs_subject,
    DROP CONSTRAINT ck_generation_jobs_phase,
    ADD CONSTRAINT ck_generation_jobs_phase CHECK (phase IN ('samples', 'final')),
    DROP COLUMN data_export_id,
    ALTER COLUMN generation_request_id SET NOT NULL;

DROP INDEX idx_userdataexport_expiresat;
DROP INDEX uq_userdataexport_one_pending;
ALTER TABLE user_data_exports
    DROP COLUMN removed_at,
    DROP COLUMN expires_at,
    DROP COLUMN byte_size,
    DROP COLUMN failure_reason,
    DROP CONSTRAINT ck_user_data_exports_kind;
