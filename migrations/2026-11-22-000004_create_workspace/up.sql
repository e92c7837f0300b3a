-- Creates the creative workspace: templates, brand_kits, workbenches and projects.

CREATE TABLE templates (
    id          uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULL for system templates.
    user_id     uuid
                REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    name        varchar(100)  NOT NULL,
    description text,
    category    varchar(50)   NOT NULL,
    preview_url varchar(1024) NOT NULL,
    source_data jsonb         NOT NULL,
    tags        jsonb,
    is_public   boolean       NOT NULL DEFAULT true,
    created_at  timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_template_category_ispublic ON templates USING btree (category, is_public);
CREATE INDEX idx_template_userid ON templates USING btree (user_id);
CREATE INDEX idx_template_tags_gin ON templates USING gin (tags);

SELECT diesel_manage_updated_at('templates');

CREATE TABLE brand_kits (
    id                uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid         NOT NULL
                      REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    team_id           uuid
                      REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    name              varchar(100) NOT NULL,
    colors            jsonb        NOT NULL,
    fonts             jsonb        NOT NULL,
    logos             jsonb,
    style_preferences jsonb,
    is_default        boolean      NOT NULL DEFAULT false,
    created_at        timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_brandkit_userid ON brand_kits USING btree (user_id);
CREATE INDEX idx_brandkit_teamid ON brand_kits USING btree (team_id);
CREATE INDEX idx_brandkit_colors_gin ON brand_kits USING gin (colors);
CREATE INDEX idx_brandkit_fonts_gin ON brand_kits USING gin (fonts);

SELECT diesel_manage_updated_at('brand_kits');

CREATE TABLE workbenches (
    id                   uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              uuid         NOT NULL
                         REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    name                 varchar(100) NOT NULL,
    default_brand_kit_id uuid
                         REFERENCES brand_kits (id) ON DELETE SET NULL ON UPDATE CASCADE,
    created_at           timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at           timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Optional owning team (NULL = personal workbench).
    team_id              uuid
                         REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION
);

CREATE INDEX idx_workbench_userid ON workbenches USING btree (user_id);
CREATE INDEX idx_workbench_teamid ON workbenches USING btree (team_id);

SELECT diesel_manage_updated_at('workbenches');

CREATE TABLE projects (
    id                   uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    workbench_id         uuid         NOT NULL
                         REFERENCES workbenches (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    -- Denormalized from workbenches.user_id; the application keeps it consistent.
    user_id              uuid         NOT NULL
                         REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    template_id          uuid
                         REFERENCES templates (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    brand_kit_id         uuid
                         REFERENCES brand_kits (id) ON DELETE SET NULL ON UPDATE CASCADE,
    name                 varchar(100) NOT NULL,
    target_platform      varchar(50),
    collaboration_state  jsonb,
    last_collaborated_at timestamptz,
    created_at           timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at           timestamptz  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at           timestamptz,
    -- Denormalized from workbenches.team_id; the application keeps it consistent.
    team_id              uuid
                         REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION
);

CREATE INDEX idx_project_workbenchid ON projects USING btree (workbench_id);
CREATE INDEX idx_project_userid ON projects USING btree (user_id);
CREATE INDEX idx_project_updatedat ON projects USING btree (updated_at);
CREATE INDEX idx_project_teamid ON projects USING btree (team_id);

SELECT diesel_manage_updated_at('projects');
