-- Q1 by hand, for pgbench (-M prepared, -D project=<uuid>): the project and its
-- workbench in one statement, as JSON like the GraphQL response's data.
SELECT json_build_object('project', json_build_object(
         'id', p.id, 'name', p.name,
         'workbench', json_build_object('id', w.id, 'name', w.name)))
  FROM projects p
  JOIN workbenches w ON w.id = p.workbench_id
 WHERE p.id = :project::uuid AND p.deleted_at IS NULL;
