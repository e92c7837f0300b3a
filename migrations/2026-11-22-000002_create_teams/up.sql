-- Creates teams and team_members.

CREATE TABLE teams (
    id             uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    name           varchar(100)  NOT NULL,
    owner_id       uuid          NOT NULL
                   REFERENCES users (id) ON DELETE RESTRICT ON UPDATE NO ACTION,
    created_at     timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at     timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    description    text,
    credit_balance numeric(12,2) NOT NULL DEFAULT 0,
    CONSTRAINT ck_teams_credit_balance CHECK (credit_balance >= 0)
);

CREATE INDEX idx_team_ownerid ON teams USING btree (owner_id);

SELECT diesel_manage_updated_at('teams');

CREATE TABLE team_members (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    team_id        uuid        NOT NULL
                   REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    user_id        uuid        NOT NULL
                   REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    role           varchar(20) NOT NULL,
    joined_at      timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_active_at timestamptz,
    CONSTRAINT ck_team_members_role CHECK (role IN ('Owner', 'Admin', 'Editor', 'Viewer')),
    CONSTRAINT uq_teammember_team_user UNIQUE (team_id, user_id)
);

CREATE INDEX idx_teammember_userid_role ON team_members USING btree (user_id, role);
CREATE INDEX idx_teammember_teamid ON team_members USING btree (team_id);
-- The spec marks role 'Indexed'; idx_teammember_userid_role only serves lookups by user.
CREATE INDEX idx_teammember_role ON team_members USING btree (role);
