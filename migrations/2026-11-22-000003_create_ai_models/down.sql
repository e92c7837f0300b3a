-- Reverts 2026-11-22-000003_create_ai_models.
DROP TABLE ai_model_deployments;
ALTER TABLE ai_model_versions DROP CONSTRAINT ai_model_versions_validation_result_id_fkey;
DROP TABLE ai_model_validation_results;
DROP TABLE ai_model_versions;
DROP TABLE ai_models;
