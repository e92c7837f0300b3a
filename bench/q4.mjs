// Q4 of the benchmark: fan-out of `generationStatus` to many WebSocket
// subscribers, measuring event-to-client latency. Written to the wire protocol
// (graphql-transport-ws), not to the server's implementation.
//
// 1. Makes a pool of generation requests over HTTP and waits until each awaits
//    a selection (the server's workers make the samples).
// 2. Opens SUBSCRIBERS sockets (one user, one token, its `connection_init`
//    payload) and has every socket subscribe to the first LEAD requests.
// 3. Every INTERVAL_MS for DURATION_S selects a sample of the next request
//    (AWAITING_SELECTION -> PROCESSING_FINAL, then a worker makes the final:
//    -> COMPLETED) and has every socket subscribe to the request LEAD places
//    further on, so each subscription exists well before its request changes.
// 4. For every update after a subscription's first message (which is the state
//    at subscribe time, not a change): latency = client receive time minus the
//    `updatedAt` of the change (the database's now() of the changing
//    transaction; same machine, same clock).
//
// Prints one line: RESULT key=value ... (read by bench/run).
// Usage: node bench/q4.mjs HTTP_BASE TOKEN PROJECT_ID MODEL_ID
// Env: Q4_SUBSCRIBERS (1000), Q4_INTERVAL_MS (1000), Q4_DURATION_S (15), Q4_LEAD (2)
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

// The `ws` package the client tests already install (tests/node/package-lock.json).
const require = createRequire(new URL('../tests/node/package.json', import.meta.url));
const WebSocket = require('ws');

const [httpBase, token, projectId, modelId] = process.argv.slice(2);
if (!modelId) {
  console.error('usage: node bench/q4.mjs HTTP_BASE TOKEN PROJECT_ID MODEL_ID');
  process.exit(64);
}
const SUBSCRIBERS = Number(process.env.Q4_SUBSCRIBERS ?? 1000);
const INTERVAL_MS = Number(process.env.Q4_INTERVAL_MS ?? 1000);
const DURATION_S = Number(process.env.Q4_DURATION_S ?? 15);
const LEAD = Number(process.env.Q4_LEAD ?? 2);
const TICKS = Math.max(1, Math.round((DURATION_S * 1000) / INTERVAL_MS));
const POOL = TICKS + LEAD;
const wsUrl = httpBase.replace(/^http/, 'ws') + '/graphql/ws';
const SUBSCRIPTION =
  'subscription Q4($id: ID!) { generationStatus(generationRequestId: $id) { id status updatedAt } }';
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CONTENT_REJECTED']);

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function log(message) {
  process.stderr.write(`q4: ${message}\n`);
}

/** `2025-01-02T03:04:05.123456Z` to epoch milliseconds, keeping the microseconds. */
function epochMs(timestamp) {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$/.exec(timestamp);
  if (!m) return NaN;
  return Date.parse(m[1] + (m[3] || 'Z')) + (m[2] ? Number(`0${m[2]}`) * 1000 : 0);
}

async function graphql(query, variables) {
  const response = await fetch(`${httpBase}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (!response.ok || body.errors) {
    throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

/** The pool: requests that all await a selection, each with a sample to pick. */
async function makePool() {
  const ids = [];
  for (let i = 0; i < POOL; i++) {
    const data = await graphql(
      'mutation($input: RequestGenerationInput!) { requestGeneration(input: $input) { generationRequest { id } } }',
      {
        input: {
          projectId,
          aiModelId: modelId,
          inputPrompt: `a lighthouse at dusk, fan-out ${i}`,
          inputParameters: { sampleCount: 1, resolution: '256x256' },
        },
      },
    );
    ids.push(data.requestGeneration.generationRequest.id);
  }
  const samples = new Map();
  const deadline = Date.now() + 180_000;
  while (samples.size < ids.length) {
    if (Date.now() > deadline) throw new Error(`only ${samples.size}/${ids.length} requests got samples`);
    for (const id of ids) {
      if (samples.has(id)) continue;
      const { generationRequest: r } = await graphql(
        'query($id: ID!) { generationRequest(id: $id) { status samples { id } } }',
        { id },
      );
      if (r.status === 'AWAITING_SELECTION') samples.set(id, r.samples[0].id);
      else if (TERMINAL.has(r.status)) throw new Error(`pool request ended ${r.status}`);
    }
    if (samples.size < ids.length) await sleep(250);
  }
  return ids.map((id) => ({ id, sample: samples.get(id) }));
}

const stats = {
  connectErrors: 0, // sockets that failed to open or were not acknowledged
  socketErrors: 0, // error events and unexpected closes after the ack
  protocolErrors: 0, // `error` messages and GraphQL errors in `next`
  lateSubscriptions: 0, // first message was not AWAITING_SELECTION
  latencies: [], // ms, one per delivered update
  subscribeMs: [], // subscribe sent -> first message
  deliveries: 0,
  changedAt: new Map(), // operation id (request index) -> Map(status -> updatedAt, epoch ms)
  firstSelectAt: 0,
  lastDeliveryAt: 0,
};

/** One subscriber socket speaking graphql-transport-ws. */
class Subscriber {
  constructor(index) {
    this.index = index;
    this.open = false;
    this.closing = false;
    this.subs = new Map(); // operation id -> { sentAt, first, seen: Set<status>, done }
  }

  connect() {
    return new Promise((resolve) => {
      const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
      this.socket = socket;
      const timer = setTimeout(() => fail('no connection_ack in 30 s'), 30_000);
      let settled = false;
      const fail = (why) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stats.connectErrors++;
        if (stats.connectErrors <= 5) log(`socket ${this.index}: ${why}`);
        socket.terminate();
        resolve(false);
      };
      socket.on('open', () => {
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      });
      socket.on('error', (e) => {
        if (!settled) return fail(e.message);
        stats.socketErrors++;
      });
      socket.on('close', (code, reason) => {
        if (!settled) return fail(`closed ${code} ${reason}`);
        if (!this.closing) {
          stats.socketErrors++;
          if (stats.socketErrors <= 5) log(`socket ${this.index} closed ${code} ${reason}`);
        }
        this.open = false;
      });
      socket.on('message', (data) => {
        const at = now();
        const message = JSON.parse(data.toString());
        if (message.type === 'connection_ack' && !settled) {
          settled = true;
          clearTimeout(timer);
          this.open = true;
          resolve(true);
        } else {
          this.receive(message, at);
        }
      });
    });
  }

  subscribe(requestIndex, requestId) {
    if (!this.open) return;
    const id = String(requestIndex);
    this.subs.set(id, { sentAt: now(), first: null, seen: new Set(), done: false });
    this.socket.send(
      JSON.stringify({ id, type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { id: requestId } } }),
    );
  }

  receive(message, at) {
    switch (message.type) {
      case 'ping':
        this.socket.send(JSON.stringify({ type: 'pong' }));
        return;
      case 'pong':
        return;
      case 'next': {
        const sub = this.subs.get(message.id);
        if (!sub) return;
        if (message.payload.errors) {
          stats.protocolErrors++;
          if (stats.protocolErrors <= 5) log(`socket ${this.index}: ${JSON.stringify(message.payload.errors)}`);
          return;
        }
        const { status, updatedAt } = message.payload.data.generationStatus;
        const changedAt = epochMs(updatedAt);
        sub.seen.add(status);
        if (!stats.changedAt.has(message.id)) stats.changedAt.set(message.id, new Map());
        stats.changedAt.get(message.id).set(status, changedAt);
        if (sub.first === null) {
          sub.first = status;
          stats.subscribeMs.push(at - sub.sentAt);
          if (status !== 'AWAITING_SELECTION') stats.lateSubscriptions++;
          return;
        }
        stats.deliveries++;
        stats.latencies.push(at - changedAt);
        stats.lastDeliveryAt = at;
        return;
      }
      case 'error':
        stats.protocolErrors++;
        if (stats.protocolErrors <= 5) log(`socket ${this.index}: ${JSON.stringify(message.payload)}`);
        if (this.subs.has(message.id)) this.subs.get(message.id).done = true;
        return;
      case 'complete':
        if (this.subs.has(message.id)) this.subs.get(message.id).done = true;
        return;
      default:
        stats.protocolErrors++;
    }
  }

  pending() {
    let n = 0;
    for (const sub of this.subs.values()) if (!sub.done) n++;
    return n;
  }

  close() {
    this.closing = true;
    if (this.socket) this.socket.close(1000);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main() {
  log(`making ${POOL} requests that await a selection`);
  const pool = await makePool();

  log(`opening ${SUBSCRIBERS} sockets`);
  const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) => new Subscriber(i));
  const connectStart = now();
  for (let i = 0; i < subscribers.length; i += 100) {
    await Promise.all(subscribers.slice(i, i + 100).map((s) => s.connect()));
  }
  const connectSeconds = (now() - connectStart) / 1000;
  const live = subscribers.filter((s) => s.open);
  log(`${live.length} sockets acknowledged in ${connectSeconds.toFixed(1)} s`);

  for (let k = 0; k < LEAD; k++) for (const s of live) s.subscribe(k, pool[k].id);
  const settleUntil = Date.now() + 30_000;
  while (stats.subscribeMs.length < live.length * LEAD && Date.now() < settleUntil) await sleep(20);

  log(`driving ${TICKS} selections, one every ${INTERVAL_MS} ms`);
  const selectMs = [];
  let driverErrors = 0;
  const selections = [];
  const start = now();
  stats.firstSelectAt = start;
  for (let k = 0; k < TICKS; k++) {
    const due = start + k * INTERVAL_MS;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    const sent = now();
    selections.push(
      graphql(
        'mutation($input: SelectGenerationSampleInput!) { selectGenerationSample(input: $input) { generationRequest { status } } }',
        { input: { generationRequestId: pool[k].id, sampleAssetId: pool[k].sample } },
      ).then(
        () => selectMs.push(now() - sent),
        (e) => {
          driverErrors++;
          log(`select ${k}: ${e.message}`);
        },
      ),
    );
    if (k + LEAD < pool.length) for (const s of live) s.subscribe(k + LEAD, pool[k + LEAD].id);
  }
  await Promise.all(selections);
  // The last requests still get their final; then every subscription completes.
  // Those never selected (the LEAD requests past the end) are left out below.
  const selected = new Set(Array.from({ length: TICKS }, (_, k) => String(k)));
  const drainUntil = Date.now() + 60_000;
  const unfinished = () =>
    live.reduce((n, s) => n + [...s.subs].filter(([id, sub]) => selected.has(id) && !sub.done).length, 0);
  while (unfinished() > 0 && Date.now() < drainUntil) await sleep(50);
  const incomplete = unfinished();

  // A missed update: a status that some subscriber of a request saw and another did not.
  let missed = 0;
  const missedByStatus = new Map();
  let changes = 0;
  for (const id of selected) {
    const union = new Set();
    for (const s of live) for (const status of s.subs.get(id)?.seen ?? []) union.add(status);
    union.delete('AWAITING_SELECTION'); // the state at subscribe time, not a change
    changes += union.size;
    for (const s of live) {
      const seen = s.subs.get(id)?.seen ?? new Set();
      for (const status of union) {
        if (seen.has(status)) continue;
        missed++;
        missedByStatus.set(status, (missedByStatus.get(status) ?? 0) + 1);
      }
    }
  }
  for (const s of subscribers) s.close();
  // How long a request stayed PROCESSING_FINAL: the window in which a subscriber
  // must read the request to see that status at all.
  const finalPhaseMs = [];
  for (const id of selected) {
    const at = stats.changedAt.get(id);
    if (at?.has('PROCESSING_FINAL') && at.has('COMPLETED')) {
      finalPhaseMs.push(at.get('COMPLETED') - at.get('PROCESSING_FINAL'));
    }
  }

  const sorted = Float64Array.from(stats.latencies).sort();
  const subscribeSorted = Float64Array.from(stats.subscribeMs).sort();
  const selectSorted = Float64Array.from(selectMs).sort();
  const finalPhaseSorted = Float64Array.from(finalPhaseMs).sort();
  const window = (stats.lastDeliveryAt - stats.firstSelectAt) / 1000;
  const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'nan');
  const result = {
    subscribers: SUBSCRIBERS,
    connected: live.length,
    connect_s: connectSeconds.toFixed(1),
    selections: TICKS,
    interval_ms: INTERVAL_MS,
    lead: LEAD,
    status_changes: changes,
    expected: changes * live.length,
    deliveries: stats.deliveries,
    deliveries_per_s: (stats.deliveries / Math.max(window, 1e-9)).toFixed(1),
    p50_ms: fmt(percentile(sorted, 50)),
    p99_ms: fmt(percentile(sorted, 99)),
    max_ms: fmt(sorted[sorted.length - 1]),
    min_ms: fmt(sorted[0]),
    missed,
    missed_by_status: [...missedByStatus].map(([status, n]) => `${status}:${n}`).join(',') || 'none',
    final_phase_p50_ms: fmt(percentile(finalPhaseSorted, 50)),
    late_subscriptions: stats.lateSubscriptions,
    incomplete,
    subscribe_p50_ms: fmt(percentile(subscribeSorted, 50)),
    subscribe_p99_ms: fmt(percentile(subscribeSorted, 99)),
    select_p50_ms: fmt(percentile(selectSorted, 50)),
    connect_errors: stats.connectErrors,
    socket_errors: stats.socketErrors,
    protocol_errors: stats.protocolErrors,
    driver_errors: driverErrors,
  };
  console.log(
    'RESULT ' +
      Object.entries(result)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
  );
  await sleep(200);
  process.exit(0);
}

main().catch((e) => {
  console.error(`q4: ${e.stack ?? e}`);
  process.exit(1);
});
