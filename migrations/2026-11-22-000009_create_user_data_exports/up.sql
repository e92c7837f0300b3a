-- Creates user_data_exports (the USER_BACKUPS of the source documents):
-- requests for a user's data export / backup and their result file.

CREATE TABLE user_data_exports (
    id           uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid          NOT NULL
                 REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    kind         varchar(20)   NOT NULL,
    status       varchar(20)   NOT NULL DEFAULT 'pending',
    file_path    varchar(1024),
    requested_at timestamptz   NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CONSTRAINT ck_user_data_exports_status CHECK (status IN ('pending', 'completed', 'failed'))
);

CREATE INDEX idx_userdataexport_userid_requestedat
    ON user_data_exports USING btree (user_id, requested_at);
