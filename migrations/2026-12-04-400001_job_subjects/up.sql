-- The queue's kinds of job, each with exactly one subject: a generation phase
-- of a request ('samples', 'final'), the build of a data export ('export'), the
-- publication of an asset on a connected platform ('publish').
ALTER TABLE generation_jobs
    ADD COLUMN published_post_id uuid
        REFERENCES published_posts (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    DROP CONSTRAINT ck_generation_jobs_phase,
    ADD CONSTRAINT ck_generation_jobs_phase CHECK (phase IN ('samples', 'final', 'export', 'publish')),
    DROP CONSTRAINT ck_generation_jobs_subject,
    ADD CONSTRAINT ck_generation_jobs_subject CHECK (
        CASE phase
            WHEN 'export' THEN data_export_id IS NOT NULL
                AND generation_request_id IS NULL AND published_post_id IS NULL
            WHEN 'publish' THEN published_post_id IS NOT NULL
                AND generation_request_id IS NULL AND data_export_id IS NULL
            ELSE generation_request_id IS NOT NULL
                AND data_export_id IS NULL AND published_post_id IS NULL
        END);

-- One job per post, however often publishAsset is called for it.
CREATE UNIQUE INDEX uq_generationjob_publishedpost ON generation_jobs USING btree (published_post_id)
    WHERE published_post_id IS NOT NULL;
