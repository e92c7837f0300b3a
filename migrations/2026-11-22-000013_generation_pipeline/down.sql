DROP TABLE generation_jobs;
DROP INDEX idx_generationrequest_deadline;
ALTER TABLE generation_requests
    DROP COLUMN completed_at,
    DROP COLUMN phase_deadline,
    DROP COLUMN final_refunded_at,
    DROP COLUMN sample_refunded_at,
    DROP COLUMN final_charged_at,
    DROP COLUMN sample_charged_at,
    DROP COLUMN ai_model_version_id,
    DROP COLUMN team_id;
DROP TRIGGER trg_generation_requests_transition ON generation_requests;
DROP FUNCTION atelier_check_generation_transition();
DROP TABLE generation_status_transitions;
