DROP INDEX idx_user_suspendedat;
ALTER TABLE users DROP COLUMN suspended_at;
DROP TABLE admin_audit;
