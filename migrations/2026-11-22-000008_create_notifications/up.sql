-- Creates the range-partitioned (monthly, on created_at) notifications table
-- with a DEFAULT partition and partitions for the current + next 3 months.
-- Uses atelier_create_monthly_partitions() from the credit_transactions migration.

CREATE TABLE notifications (
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id    uuid        NOT NULL
               REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    type       varchar(50) NOT NULL,
    message    text        NOT NULL,
    metadata   jsonb,
    is_read    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- The spec's PK is (id), but on a partitioned table every unique
    -- constraint must include the partition key, so the PK is (id, created_at).
    -- id stays unique in practice (gen_random_uuid()).
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

-- Indexes are declared on the parent and propagate to every partition.
CREATE INDEX idx_notification_userid_isread_createdat
    ON notifications USING btree (user_id, is_read, created_at);
CREATE INDEX idx_notification_userid_isread_unread
    ON notifications USING btree (user_id, is_read)
    WHERE is_read = false;
-- The spec marks createdAt 'Indexed'; the composite indexes lead with user_id.
CREATE INDEX idx_notification_createdat ON notifications USING btree (created_at);

-- The row trigger is cloned onto every partition (PostgreSQL 13+).
SELECT diesel_manage_updated_at('notifications');

CREATE TABLE notifications_default PARTITION OF notifications DEFAULT;

SELECT atelier_create_monthly_partitions('notifications', 3);
