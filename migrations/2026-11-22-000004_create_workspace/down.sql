-- Reverts 2026-11-22-000004_create_workspace.
DROP TABLE projects;
DROP TABLE workbenches;
DROP TABLE brand_kits;
DROP TABLE templates;
