DELETE FROM generation_jobs WHERE published_post_id IS NOT NULL;
DROP INDEX IF EXISTS uq_generationjob_publishedpost;
ALTER TABLE generation_jobs
    DROP CONSTRAINT IF EXISTS ck_generation_jobs_target,
    DROP COLUMN IF EXISTS published_post_id,
    ALTER COLUMN phase SET NOT NULL,
    ALTER COLUMN generation_request_id SET NOT NULL;
DROP TABLE IF EXISTS published_posts;
