// The graphql-ws client (graphql-transport-ws): a subscription's live events,
// and a refused operation's error with its code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { eventually, requestGeneration, studio, wsUrl } from '../support.mjs';

test('graphql-ws: live events and coded errors over graphql-transport-ws', async (t) => {
  const me = await studio('graphqlws');
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${me.token}` },
    retryAttempts: 0,
  });
  t.after(() => client.dispose());

  const balances = [];
  const stop = client.subscribe(
    { query: 'subscription { creditBalanceChanged { balance } }' },
    { next: (r) => balances.push(r.data.creditBalanceChanged.balance), error: assert.fail, complete: () => {} },
  );
  await eventually(() => balances.length === 1, 10_000, 'the current balance');
  await requestGeneration(me, 'graphql-ws sees this', 1);
  await eventually(() => balances.includes('9.00'), 20_000, `the new balance (seen: ${balances})`);
  stop();

  const error = await new Promise((resolve) => {
    client.subscribe(
      { query: 'subscription { creditBalanceChanged { nope } }' },
      { next: () => resolve(null), error: resolve, complete: () => resolve(null) },
    );
  });
  assert.ok(Array.isArray(error), `an error message: ${JSON.stringify(error)}`);
  assert.equal(error[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
});
