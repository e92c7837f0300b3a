-- The platform admin's audit log: one row per admin action, written in the
-- action's own transaction (who, what, on which target, before and after).
CREATE TABLE admin_audit (
    id            uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULL for the command line (`atelier admin grant`), which has no user.
    admin_user_id uuid
                  REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    action        varchar(100) NOT NULL,
    target_type   varchar(50)  NOT NULL,
    target_id     varchar(100),
    before        jsonb,
    after         jsonb,
    -- The HTTP request's x-request-id, or 'cli'.
    request_id    varchar(100),
    created_at    timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_adminaudit_createdat ON admin_audit (created_at);
CREATE INDEX idx_adminaudit_adminuserid_createdat ON admin_audit (admin_user_id, created_at);
CREATE INDEX idx_adminaudit_target ON admin_audit (target_type, target_id);

-- Suspension: a suspended account cannot sign in and its sessions are revoked.
ALTER TABLE users ADD COLUMN suspended_at timestamptz;
CREATE INDEX idx_user_suspendedat ON users (suspended_at) WHERE suspended_at IS NOT NULL;
