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

-- Its job in the queue: migration 2026-12-04-400001_job_subjects.
