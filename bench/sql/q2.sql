-- Q2 by hand, for pgbench (-M prepared, -D user=<uuid>): the caller's 50 most
-- recently updated projects, each with its 20 oldest assets and each asset's
-- user and generation request, in one statement (json_agg), as JSON like the
-- GraphQL response's data.
SELECT json_build_object('projects', json_build_object('edges', coalesce(json_agg(
         json_build_object('node', json_build_object(
           'id', p.id, 'name', p.name,
           'assets', json_build_object('edges', a.edges)))
         ORDER BY p.updated_at DESC, p.id), '[]'::json)))
  FROM (SELECT id, name, updated_at
          FROM projects
         WHERE user_id = :user::uuid AND deleted_at IS NULL
         ORDER BY updated_at DESC, id
         LIMIT 50) p
 CROSS JOIN LATERAL (
   SELECT coalesce(json_agg(json_build_object('node', json_build_object(
            'id', x.id, 'name', x.name,
            'user', json_build_object('id', u.id),
            'generationRequest', CASE WHEN g.id IS NULL THEN NULL ELSE json_build_object('id', g.id) END))
            ORDER BY x.created_at, x.id), '[]'::json) AS edges
     FROM (SELECT id, name, user_id, generation_request_id, created_at
             FROM assets
            WHERE project_id = p.id AND deleted_at IS NULL
            ORDER BY created_at, id
            LIMIT 20) x
     JOIN users u ON u.id = x.user_id
     LEFT JOIN generation_requests g ON g.id = x.generation_request_id) a;
