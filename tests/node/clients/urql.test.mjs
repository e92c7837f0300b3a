// urql with its defaults: the cache and fetch exchanges, queries that fit in a
// URL sent as GET (preferGetMethod 'within-url-limit'), no CSRF header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, cacheExchange, fetchExchange, gql } from '@urql/core';

import { httpUrl, studio } from '../support.mjs';

test('urql with its defaults: GET for queries, POST for mutations', async () => {
  const me = await studio('urql');
  const sent = [];
  const client = new Client({
    url: httpUrl,
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: () => ({ headers: { authorization: `Bearer ${me.token}` } }),
    // Records what went out; the request itself is urql's own.
    fetch: (url, init) => {
      sent.push({ method: init?.method ?? 'GET', url: String(url), headers: new Headers(init?.headers) });
      return fetch(url, init);
    },
  });

  const query = gql`query Studio($id: ID!) { me { email } project(id: $id) { id name } }`;
  const result = await client.query(query, { id: me.projectId }).toPromise();
  assert.equal(result.error, undefined, result.error?.message);
  assert.equal(result.data.me.email, me.email);
  assert.equal(result.data.project.name, me.projectName);
  assert.equal(sent[0].method, 'GET');
  assert.ok(sent[0].url.includes('query='), sent[0].url);
  for (const header of ['apollo-require-preflight', 'graphql-preflight', 'x-apollo-operation-name']) {
    assert.equal(sent[0].headers.get(header), null, `urql sends no ${header}`);
  }

  const anonymous = new Client({ url: httpUrl, exchanges: [cacheExchange, fetchExchange] });
  const models = await anonymous.query(gql`{ aiModels { totalCount } }`, {}).toPromise();
  assert.equal(models.error, undefined, models.error?.message);
  assert.ok(models.data.aiModels.totalCount >= 1);

  const renamed = await client
    .mutation(gql`mutation($input: UpdateProjectInput!) { updateProject(input: $input) { project { id name } } }`, {
      input: { id: me.projectId, name: 'Renamed by urql' },
    })
    .toPromise();
  assert.equal(renamed.error, undefined, renamed.error?.message);
  assert.equal(renamed.data.updateProject.project.name, 'Renamed by urql');
  assert.equal(sent.at(-1).method, 'POST');

  const refused = await client.query(gql`{ aiModels(first: "many") { totalCount } }`, {}).toPromise();
  assert.equal(refused.error.graphQLErrors[0].extensions.code, 'BAD_USER_INPUT');
  assert.equal(refused.error.graphQLErrors[0].extensions.field, 'first');
});
