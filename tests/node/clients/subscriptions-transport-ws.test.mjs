// The legacy subscriptions-transport-ws client (the `graphql-ws` sub-protocol),
// still in many Apollo Client 2 applications.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SubscriptionClient } from 'subscriptions-transport-ws';
import WebSocket from 'ws';

import { eventually, requestGeneration, studio, wsUrl } from '../support.mjs';

test('subscriptions-transport-ws: the legacy protocol delivers live events', async (t) => {
  const me = await studio('legacy');
  const client = new SubscriptionClient(
    wsUrl,
    { connectionParams: { authorization: `Bearer ${me.token}` }, reconnect: false },
    WebSocket,
  );
  t.after(() => client.close());

  const balances = [];
  const errors = [];
  const subscription = client
    .request({ query: 'subscription { creditBalanceChanged { balance } }' })
    .subscribe({
      next: (r) => (r.errors ? errors.push(...r.errors) : balances.push(r.data.creditBalanceChanged.balance)),
      error: (e) => errors.push(e),
    });
  await eventually(() => balances.length === 1, 10_000, 'the current balance');
  assert.equal(balances[0], '10.00');
  await requestGeneration(me, 'the legacy client sees this', 1);
  await eventually(() => balances.includes('9.00'), 20_000, `the new balance (seen: ${balances})`);
  subscription.unsubscribe();
  assert.deepEqual(errors, []);
});
