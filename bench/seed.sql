-- A realistic dataset for the benchmark: 10,000 users, 100,000 projects,
-- 1,000,000 assets. User 1 (bench@atelier.test) owns 100 projects of 20 assets.
-- Every user signs in with the password 'bench-password' (one shared hash).
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO users (id, email, username, password_hash, credit_balance, is_email_verified)
SELECT md5('user' || i)::uuid,
       CASE WHEN i = 1 THEN 'bench@atelier.test' ELSE 'user' || i || '@bench.test' END,
       'user' || i, :'password_hash', 1000000, true
  FROM generate_series(1, 10000) AS i;

INSERT INTO workbenches (id, user_id, name)
SELECT md5('bench' || i)::uuid, md5('user' || i)::uuid, 'Workbench ' || i
  FROM generate_series(1, 10000) AS i;

-- 10 projects per user, except user 1 who gets 100.
INSERT INTO projects (id, workbench_id, user_id, name, target_platform)
SELECT md5('project' || u || '-' || p)::uuid, md5('bench' || u)::uuid, md5('user' || u)::uuid,
       'Project ' || p, 'InstagramStory'
  FROM generate_series(2, 10000) AS u, generate_series(1, 10) AS p;
INSERT INTO projects (id, workbench_id, user_id, name, target_platform)
SELECT md5('project1-' || p)::uuid, md5('bench1')::uuid, md5('user1')::uuid, 'Project ' || p, 'TikTok'
  FROM generate_series(1, 100) AS p;

-- 10 assets per project (user 1: 20), to 1,000,000 and more.
INSERT INTO assets (project_id, user_id, name, type, file_path, mime_type, format, resolution)
SELECT md5('project' || u || '-' || p)::uuid, md5('user' || u)::uuid, 'asset-' || a || '.png',
       'Uploaded', 'bench/asset.png', 'image/png', 'png', '1024x1024'
  FROM generate_series(2, 10000) AS u, generate_series(1, 10) AS p, generate_series(1, 10) AS a;
INSERT INTO assets (project_id, user_id, name, type, file_path, mime_type, format, resolution)
SELECT md5('project1-' || p)::uuid, md5('user1')::uuid, 'asset-' || a || '.png',
       'Uploaded', 'bench/asset.png', 'image/png', 'png', '1024x1024'
  FROM generate_series(1, 100) AS p, generate_series(1, 20) AS a;
COMMIT;
ANALYZE;

-- One active image model with a Production version on the local provider.
INSERT INTO ai_models (id, name, provider, task_type, is_active)
VALUES (md5('bench-model')::uuid, 'Bench Diffusion', 'Internal', 'ImageGeneration', true);
INSERT INTO ai_model_versions (model_id, version_number, status, parameters)
VALUES (md5('bench-model')::uuid, '1.0', 'Production',
        '{"provider": "local", "creditCost": {"sample": "0.10", "final": "0.40"},
          "resolutions": ["256x256", "512x512"], "formats": ["png", "jpeg"]}');
