DELETE FROM generation_jobs WHERE phase = 'publish';
DROP INDEX IF EXISTS uq_generationjob_publishedpost;
ALTER TABLE generation_jobs
    DROP CONSTRAINT ck_generation_jobs_subject,
    ADD CONSTRAINT ck_generation_jobs_subject CHECK (
        CASE WHEN phase = 'export'
             THEN data_export_id IS NOT NULL AND generation_request_id IS NULL
             ELSE generation_request_id IS NOT NULL AND data_export_id IS NULL
        END),
    DROP CONSTRAINT ck_generation_jobs_phase,
    ADD CONSTRAINT ck_generation_jobs_phase CHECK (phase IN ('samples', 'final', 'export')),
    DROP COLUMN published_post_id;
