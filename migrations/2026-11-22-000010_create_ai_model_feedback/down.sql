-- Reverts 2026-11-22-000010_create_ai_model_feedback.
DROP TABLE ai_model_feedback;
