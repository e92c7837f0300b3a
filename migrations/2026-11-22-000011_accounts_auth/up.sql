-- Accounts: what sign-in, sessions, verification, password reset, MFA and API
-- clients need beyond the spec's columns. Every token is stored as a SHA-256
-- hex digest, never in plain text.

-- Emails are unique regardless of case (the spec's uq_user_email is case-sensitive).
CREATE UNIQUE INDEX uq_user_email_lower ON users (lower(email));

ALTER TABLE users
    -- Expiry of email_verification_token (the spec has one only for password resets).
    ADD COLUMN email_verification_expires timestamptz,
    -- A changed email waits here until it is verified.
    ADD COLUMN pending_email varchar(255),
    -- The last TOTP time step accepted, so a code works once.
    ADD COLUMN mfa_last_used_step bigint;

ALTER TABLE sessions
    ADD COLUMN token_hash varchar(64) NOT NULL,
    ADD COLUMN revoked_at timestamptz,
    ADD CONSTRAINT uq_session_tokenhash UNIQUE (token_hash);

-- Mail that has no SMTP server to go to waits here (tests and the demo read it).
CREATE TABLE mail_outbox (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    to_address varchar(255) NOT NULL,
    kind varchar(50) NOT NULL,
    subject varchar(255) NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sent_at timestamptz
);
CREATE INDEX idx_mailoutbox_to_created ON mail_outbox (to_address, created_at);

CREATE INDEX idx_apiclient_teamid ON api_clients (team_id);
