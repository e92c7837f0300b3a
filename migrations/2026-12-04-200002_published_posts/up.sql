-- Publishing an asset through a social media connection (issue 15): one post
-- per (asset, connection, caption), made by a job of the existing queue.

CREATE TABLE published_posts (
    id                uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid          NOT NULL
                      REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    asset_id          uuid          NOT NULL
                      REFERENCES assets (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    -- Kept when the connection goes: the record says where it was published.
    connection_id     uuid
                      REFERENCES social_media_connections (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    platform          varchar(20)   NOT NULL,
    caption           text          NOT NULL,
    caption_hash      varchar(64)   NOT NULL,
    status            varchar(20)   NOT NULL DEFAULT 'pending',
    external_post_id  varchar(255),
    error             text,
    published_at      timestamptz,
    created_at        timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_published_posts_status CHECK (status IN ('pending', 'published', 'failed')),
    CONSTRAINT uq_publishedpost_asset_connection_caption UNIQUE (asset_id, connection_id, caption_hash)
);

CREATE INDEX idx_publishedpost_userid_createdat ON published_posts USING btree (user_id, created_at);

SELECT diesel_manage_updated_at('published_posts');

-- A job is a generation phase (request and phase) or a publication (post, no phase).
ALTER TABLE generation_jobs
    ALTER COLUMN generation_request_id DROP NOT NULL,
    ALTER COLUMN phase DROP NOT NULL,
    ADD COLUMN published_post_id uuid
        REFERENCES published_posts (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    ADD CONSTRAINT ck_generation_jobs_target CHECK (
        (generation_request_id IS NOT NULL AND phase IS NOT NULL AND published_post_id IS NULL)
        OR (published_post_id IS NOT NULL AND generation_request_id IS NULL AND phase IS NULL));

CREATE UNIQUE INDEX uq_generationjob_publishedpost ON generation_jobs USING btree (published_post_id)
    WHERE published_post_id IS NOT NULL;
