-- Reverts 2026-11-22-000002_create_teams.
DROP TABLE team_members;
DROP TABLE teams;
