-- Feedback once per user and request (a second rating updates it), and the
-- indexes the history connections page through, newest first.

CREATE UNIQUE INDEX uq_aimodelfeedback_user_request
    ON ai_model_feedback (user_id, generation_request_id);

-- myGenerationRequests and Project.generationRequests.
CREATE INDEX idx_generationrequest_userid_createdat ON generation_requests (user_id, created_at);
CREATE INDEX idx_generationrequest_projectid_createdat ON generation_requests (project_id, created_at);

-- Team.creditTransactions: by team and date on the partitioned table (declared on
-- the parent, so every partition gets it).
CREATE INDEX idx_credittransaction_teamid_createdat ON credit_transactions (team_id, created_at);

-- Team.usage: the team whose pool or project an action was for.
ALTER TABLE usage_logs
    ADD COLUMN team_id uuid REFERENCES teams (id) ON DELETE SET NULL ON UPDATE NO ACTION;
CREATE INDEX idx_usagelog_teamid_timestamp ON usage_logs (team_id, "timestamp");
