DROP INDEX IF EXISTS idx_socialconnection_expiresat;
ALTER TABLE social_media_connections
    DROP CONSTRAINT IF EXISTS ck_social_media_connections_status,
    DROP COLUMN IF EXISTS status;
DROP TABLE IF EXISTS oauth_flows;
