-- Teams and the creative graph: the rules PERMISSIONS.md and the issue put on the
-- data, enforced by the database as well as by the application.

-- A team has exactly one OWNER, and teams.owner_id names that member.
-- At most one: a partial unique index. At least one, and the right one: a
-- constraint trigger checked at commit, so ownership can move inside a transaction.
CREATE UNIQUE INDEX uq_teammember_one_owner ON team_members (team_id) WHERE role = 'Owner';

CREATE FUNCTION atelier_check_team_owner() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_teams  uuid[];
    v_team   uuid;
    v_owner  uuid;
    v_owners integer;
    v_member uuid;
BEGIN
    -- Every team the row touched: a membership moved between teams affects both.
    IF TG_TABLE_NAME = 'teams' THEN
        v_teams := ARRAY[NEW.id];
    ELSIF TG_OP = 'DELETE' THEN
        v_teams := ARRAY[OLD.team_id];
    ELSIF TG_OP = 'UPDATE' THEN
        v_teams := ARRAY[OLD.team_id, NEW.team_id];
    ELSE
        v_teams := ARRAY[NEW.team_id];
    END IF;
    FOREACH v_team IN ARRAY v_teams LOOP
        SELECT owner_id INTO v_owner FROM teams WHERE id = v_team;
        CONTINUE WHEN NOT FOUND; -- the team itself is gone
        SELECT count(*), (array_agg(user_id))[1] INTO v_owners, v_member
          FROM team_members WHERE team_id = v_team AND role = 'Owner';
        IF v_owners <> 1 OR v_member IS DISTINCT FROM v_owner THEN
            RAISE EXCEPTION 'team % must have exactly one Owner member, the user in teams.owner_id', v_team
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_team_single_owner';
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER trg_team_members_single_owner
    AFTER INSERT OR UPDATE OR DELETE ON team_members
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION atelier_check_team_owner();
CREATE CONSTRAINT TRIGGER trg_teams_single_owner
    AFTER INSERT OR UPDATE OF owner_id ON teams
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION atelier_check_team_owner();

-- At most one default brand kit per owner: per team for team kits, per user otherwise.
CREATE UNIQUE INDEX uq_brandkit_default_team ON brand_kits (team_id)
    WHERE is_default AND team_id IS NOT NULL;
CREATE UNIQUE INDEX uq_brandkit_default_user ON brand_kits (user_id)
    WHERE is_default AND team_id IS NULL;

-- Team-private templates (the spec only has system and user templates).
ALTER TABLE templates ADD COLUMN team_id uuid REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION;
CREATE INDEX idx_template_teamid ON templates (team_id);

-- Version numbers count 1, 2, 3... per asset, or per project for project states.
-- A project state is marked as such: the versions of a deleted asset also end up
-- with no asset (ON DELETE SET NULL) and must not collide with project states.
ALTER TABLE asset_versions
    ADD COLUMN is_project_state boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT ck_asset_versions_project_state
        CHECK (NOT is_project_state OR (asset_id IS NULL AND project_id IS NOT NULL));
CREATE UNIQUE INDEX uq_assetversion_asset_version ON asset_versions (asset_id, version_number)
    WHERE asset_id IS NOT NULL;
CREATE UNIQUE INDEX uq_assetversion_project_version ON asset_versions (project_id, version_number)
    WHERE is_project_state;

-- projects.user_id and projects.team_id are copies of the workbench's: keep them so.
CREATE FUNCTION atelier_project_follows_workbench() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_user uuid;
    v_team uuid;
BEGIN
    SELECT user_id, team_id INTO v_user, v_team FROM workbenches WHERE id = NEW.workbench_id;
    IF FOUND THEN
        NEW.user_id := v_user;
        NEW.team_id := v_team;
    END IF; -- otherwise the foreign key on workbench_id reports the bad id
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_projects_follow_workbench
    BEFORE INSERT OR UPDATE OF workbench_id, user_id, team_id ON projects
    FOR EACH ROW EXECUTE FUNCTION atelier_project_follows_workbench();

-- And when a workbench changes hands, its projects follow.
CREATE FUNCTION atelier_workbench_moves_projects() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE projects SET user_id = NEW.user_id, team_id = NEW.team_id
     WHERE workbench_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER trg_workbenches_move_projects
    AFTER UPDATE OF user_id, team_id ON workbenches
    FOR EACH ROW
    WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.team_id IS DISTINCT FROM NEW.team_id)
    EXECUTE FUNCTION atelier_workbench_moves_projects();

-- Listing a project's live assets newest-first, and a user's live projects.
CREATE INDEX idx_asset_projectid_live ON assets (project_id, created_at) WHERE deleted_at IS NULL;
