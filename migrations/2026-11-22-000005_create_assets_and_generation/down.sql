-- Reverts 2026-11-22-000005_create_assets_and_generation.
DROP TABLE asset_versions;
ALTER TABLE assets DROP CONSTRAINT assets_generation_request_id_fkey;
DROP TABLE generation_requests;
DROP TABLE assets;
