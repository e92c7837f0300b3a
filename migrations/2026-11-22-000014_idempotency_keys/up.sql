-- Responses to side-effecting requests sent with an `Idempotency-Key` header,
-- replayed when the same caller repeats the same request with the same key.
CREATE TABLE idempotency_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Whose key: `user:<id>`, `client:<id>` or `ip:<address>` for anonymous callers.
    caller varchar(100) NOT NULL,
    key varchar(255) NOT NULL,
    -- SHA-256 of the operation text, name and variables: a reused key with another request is a conflict.
    request_hash varchar(64) NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'running'
        CONSTRAINT ck_idempotency_keys_status CHECK (status IN ('running', 'done')),
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at timestamptz NOT NULL,
    CONSTRAINT uq_idempotencykey_caller_key UNIQUE (caller, key)
);
CREATE INDEX idx_idempotencykey_expires ON idempotency_keys (expires_at);
SELECT diesel_manage_updated_at('idempotency_keys');
