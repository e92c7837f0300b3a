// Apollo Client 3 as an application sets it up: an HttpLink for queries and
// mutations split from a GraphQLWsLink for subscriptions, a normalised cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApolloClient, HttpLink, InMemoryCache, gql, split } from '@apollo/client/core/index.js';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions/index.js';
import { getMainDefinition } from '@apollo/client/utilities/index.js';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { eventually, httpUrl, requestGeneration, studio, wsUrl } from '../support.mjs';

const PROJECT = gql`
  query Project($id: ID!) {
    project(id: $id) { id name }
  }
`;
const RENAME = gql`
  mutation Rename($input: UpdateProjectInput!) {
    updateProject(input: $input) { project { id name } }
  }
`;

function apollo(token) {
  const requests = [];
  const http = new HttpLink({
    uri: httpUrl,
    headers: { authorization: `Bearer ${token}` },
    fetch: (url, init) => {
      requests.push(JSON.parse(init.body).operationName);
      return fetch(url, init);
    },
  });
  const sockets = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const link = split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    new GraphQLWsLink(sockets),
    http,
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  return { client, requests, close: () => sockets.dispose() };
}

test('Apollo Client 3: split link, normalised cache, errorPolicy all', async (t) => {
  const me = await studio('apollo');
  const { client, requests, close } = apollo(me.token);
  t.after(close);

  await t.test('a query over HttpLink lands in the cache', async () => {
    const { data } = await client.query({ query: PROJECT, variables: { id: me.projectId } });
    assert.equal(data.project.name, me.projectName);
    assert.equal(data.project.__typename, 'Project');
  });

  await t.test("a mutation's payload updates the cached object, with no refetch", async () => {
    const watched = client.watchQuery({ query: PROJECT, variables: { id: me.projectId } });
    const names = [];
    const subscription = watched.subscribe(({ data }) => names.push(data.project.name));
    await eventually(() => names.length === 1, 5_000, 'the watched query');
    const before = requests.length;
    const { data } = await client.mutate({
      mutation: RENAME,
      variables: { input: { id: me.projectId, name: 'Renamed by Apollo' } },
    });
    assert.equal(data.updateProject.project.name, 'Renamed by Apollo');
    await eventually(() => names.at(-1) === 'Renamed by Apollo', 5_000, 'the watcher to see the new name');
    subscription.unsubscribe();
    const cached = client.readQuery({ query: PROJECT, variables: { id: me.projectId } });
    assert.equal(cached.project.name, 'Renamed by Apollo');
    assert.deepEqual(requests.slice(before), ['Rename'], 'only the mutation went out');
  });

  await t.test("errorPolicy 'all' keeps the data and sees each error's code", async () => {
    const result = await client.query({
      query: gql`query Partial { me { id } project(id: "not-a-global-id") { id } }`,
      errorPolicy: 'all',
    });
    assert.equal(result.data.me.id, me.userId);
    assert.ok(!result.data.project, 'no project for a bad ID');
    assert.equal(result.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.deepEqual(result.errors[0].path, ['project']);

    // Apollo Client 3 accepts */*, so a document that does not validate comes
    // back 200 as application/json, its errors beside a null data.
    const broken = await client.query({ query: gql`query Broken { me { nope } }`, errorPolicy: 'all' });
    assert.equal(broken.data, null);
    assert.equal(broken.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.equal(broken.errors[0].message, 'Unknown field "nope" on type "User".');
  });

  await t.test('a subscription over GraphQLWsLink sees the balance change', async () => {
    const balances = [];
    const subscription = client
      .subscribe({ query: gql`subscription Balance { creditBalanceChanged { balance } }` })
      .subscribe({ next: ({ data }) => balances.push(data.creditBalanceChanged.balance) });
    await eventually(() => balances.length === 1, 10_000, 'the current balance');
    assert.equal(balances[0], '10.00');
    await requestGeneration(me, 'Apollo sees this', 1);
    await eventually(() => balances.includes('9.00'), 20_000, `the new balance (seen: ${balances})`);
    subscription.unsubscribe();
  });
});
