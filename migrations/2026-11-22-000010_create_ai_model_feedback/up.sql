-- Creates ai_model_feedback (user feedback on generations / model versions).

CREATE TABLE ai_model_feedback (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULLABLE on purpose: the spec marks user_id required but its FK is
    -- ON DELETE SET NULL; with NOT NULL every user delete would fail.
    user_id               uuid
                          REFERENCES users (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    generation_request_id uuid
                          REFERENCES generation_requests (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    model_version_id      uuid
                          REFERENCES ai_model_versions (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    rating                integer,
    comment               text,
    feedback_timestamp    timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    details               jsonb,
    created_at            timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_ai_model_feedback_rating CHECK (rating >= 1 AND rating <= 5)
);

CREATE INDEX idx_aimodelfeedback_userid ON ai_model_feedback USING btree (user_id);
CREATE INDEX idx_aimodelfeedback_generationrequestid
    ON ai_model_feedback USING btree (generation_request_id);
CREATE INDEX idx_aimodelfeedback_modelversionid ON ai_model_feedback USING btree (model_version_id);
