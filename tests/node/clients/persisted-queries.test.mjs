// Apollo Client's persisted query link (Automatic Persisted Queries): the hash
// first, the text once when the server does not know it, then the hash alone,
// over POST and over GET.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';

import { httpUrl, studio } from '../support.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function client(token, sent, useGETForHashedQueries) {
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: createPersistedQueryLink({ sha256, useGETForHashedQueries }).concat(
      new HttpLink({
        uri: httpUrl,
        headers: { authorization: `Bearer ${token}` },
        fetch: (url, init) => {
          const request = init.method === 'GET'
            ? Object.fromEntries(new URL(url).searchParams)
            : JSON.parse(init.body);
          sent.push({ method: init.method, hasQuery: Boolean(request.query), extensions: request.extensions });
          return fetch(url, init);
        },
      }),
    ),
  });
}

test('persisted queries: an APQ round trip with Apollo Client', async () => {
  const me = await studio('apq');
  for (const useGET of [false, true]) {
    const sent = [];
    const name = `ProjectName${useGET ? 'Get' : 'Post'}`;
    const query = gql`query ${name}($id: ID!) { project(id: $id) { id name } }`;
    const first = await client(me.token, sent, useGET).query({ query, variables: { id: me.projectId } });
    assert.equal(first.data.project.name, me.projectName);
    assert.deepEqual(
      sent.map((s) => s.hasQuery),
      [false, true],
      'the hash alone, then the text after PERSISTED_QUERY_NOT_FOUND',
    );
    assert.equal(sent[0].method, useGET ? 'GET' : 'POST');
    assert.ok(JSON.stringify(sent[0].extensions).includes('sha256Hash'));

    const again = [];
    const second = await client(me.token, again, useGET).query({ query, variables: { id: me.projectId } });
    assert.equal(second.data.project.name, me.projectName);
    assert.deepEqual(again.map((s) => s.hasQuery), [false], 'a known hash needs no text');
  }
});
