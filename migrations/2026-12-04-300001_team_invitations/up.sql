-- Invitations to join a team, by email (issue 15). The token is mailed once and
-- only its SHA-256 is kept; a pending invitation per (team, address) at most, so
-- inviting again replaces the old token.

CREATE TABLE team_invitations (
    id          uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    team_id     uuid         NOT NULL
                REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    email       varchar(255) NOT NULL,
    -- Never 'Owner': ownership moves only with transferTeamOwnership.
    role        varchar(20)  NOT NULL
                CONSTRAINT ck_team_invitations_role CHECK (role IN ('Admin', 'Editor', 'Viewer')),
    token_hash  varchar(64)  NOT NULL CONSTRAINT uq_teaminvitation_tokenhash UNIQUE,
    invited_by  uuid
                REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    expires_at  timestamptz  NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid
                REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX uq_teaminvitation_team_email_pending
    ON team_invitations (team_id, lower(email)) WHERE accepted_at IS NULL;
CREATE INDEX idx_teaminvitation_teamid_createdat ON team_invitations (team_id, created_at);

SELECT diesel_manage_updated_at('team_invitations');
