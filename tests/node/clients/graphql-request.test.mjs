// graphql-request, the minimal client scripts use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientError, GraphQLClient, gql } from 'graphql-request';

import { httpUrl, studio } from '../support.mjs';

test('graphql-request: requests, variables and coded errors', async () => {
  const me = await studio('request');
  const client = new GraphQLClient(httpUrl, { headers: { authorization: `Bearer ${me.token}` } });
  const data = await client.request(gql`query($id: ID!) { project(id: $id) { name } me { email } }`, {
    id: me.projectId,
  });
  assert.equal(data.project.name, me.projectName);
  assert.equal(data.me.email, me.email);

  const created = await client.request(
    gql`mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { name myRole } } }`,
    { input: { name: 'Request Team' } },
  );
  assert.deepEqual(created.createTeam.team, { name: 'Request Team', myRole: 'OWNER' });

  await assert.rejects(client.request(gql`{ me { id ` ), (error) => {
    assert.ok(error instanceof ClientError);
    assert.equal(error.response.errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
    assert.equal(error.response.errors[0].message, 'Syntax Error: Expected Name, found <EOF>.');
    return true;
  });
  await assert.rejects(
    client.request(gql`mutation { createTeam(input: {name: 42}) { team { id } } }`),
    (error) => {
      assert.equal(error.response.errors[0].extensions.code, 'BAD_USER_INPUT');
      assert.equal(error.response.errors[0].extensions.field, 'name');
      return true;
    },
  );
});
