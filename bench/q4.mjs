// Q4 of the benchmark: fan-out of `generationStatus` to many WebSocket
// subscribers, measuring event-to-client latency. Written to the wire protocol
// (graphql-transport-ws), not to the server's implementation.
//
// 1. Makes a pool of generation requests over HTTP and waits until each awaits
//    a selection (the server's workers make the samples).
// 2. Opens SUBSCRIBERS sockets at OPEN_RATE per second (one user, one token, in
//    its `connection_init` payload), spread over THREADS worker threads so that
//    the client is not the bottleneck (one Node event loop does not keep up with
//    10,000 sockets on a 2-core machine), and has every socket subscribe to the
//    first LEAD requests.
// 3. Every INTERVAL_MS for DURATION_S selects a sample of the next request
//    (AWAITING_SELECTION -> PROCESSING_FINAL, then a worker makes the final:
//    -> COMPLETED) and has every socket subscribe to the request LEAD places
//    further on, the subscribe frames spread over half an interval, so each
//    subscription exists well before its request changes.
// 4. For every update after a subscription's first message (which is the state
//    at subscribe time, not a change): latency = client receive time minus the
//    `updatedAt` of the change (the database's now() of the changing
//    transaction; same machine, same clock).
// 5. Every miss (a status some subscriber of a request saw and another did not)
//    is put down to a cause, from what that subscriber did see.
//
// Prints one line: RESULT key=value ... (read by bench/run).
// Usage: node bench/q4.mjs HTTP_BASE TOKEN PROJECT_ID MODEL_ID
// Env: Q4_SUBSCRIBERS (10000), Q4_OPEN_RATE (500 sockets/s), Q4_INTERVAL_MS (1000),
//   Q4_DURATION_S (60), Q4_LEAD (2), Q4_THREADS (2: client threads),
//   Q4_WS_BASE (HTTP_BASE: where the sockets go; another instance for the Redis pass),
//   Q4_SERVER_PIDS (comma-separated: processes whose RSS is sampled every 500 ms).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const SUBSCRIPTION =
  'subscription Q4($id: ID!) { generationStatus(generationRequestId: $id) { id status updatedAt } }';
// A status as a bit, so a subscriber's statuses of one request fit in a byte.
const BIT = {
  AWAITING_SELECTION: 1,
  PROCESSING_FINAL: 2,
  COMPLETED: 4,
  FAILED: 8,
  CANCELLED: 16,
  CONTENT_REJECTED: 32,
  PENDING: 64,
  PROCESSING_SAMPLES: 64,
};
const STATUS_OF_BIT = { 2: 'PROCESSING_FINAL', 4: 'COMPLETED', 8: 'FAILED', 16: 'CANCELLED', 32: 'CONTENT_REJECTED' };
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

if (isMainThread) {
  main().catch((e) => {
    console.error(`q4: ${e.stack ?? e}`);
    process.exit(1);
  });
} else {
  clientThread(workerData);
}

// ---------------------------------------------------------------------------
// A client thread: its share of the sockets.
// ---------------------------------------------------------------------------

function clientThread({ wsUrl, token, count, openRate, requests, thread }) {
  // The `ws` package, pinned by bench/package-lock.json.
  const require = createRequire(new URL('./package.json', import.meta.url));
  const WebSocket = require('ws');
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const sockets = new Array(count).fill(null);
  const open = new Uint8Array(count); // 1 once acknowledged, 2 once closed after that, 3 closing at the end
  // Per request: the statuses each socket saw, its first status, whether it ended.
  const seen = Array.from({ length: requests }, () => new Uint8Array(count));
  const first = Array.from({ length: requests }, () => new Uint8Array(count));
  const done = Array.from({ length: requests }, () => new Uint8Array(count));
  const refused = Array.from({ length: requests }, () => new Uint8Array(count));
  const subscribed = new Uint8Array(requests);
  const sentAt = new Float64Array(requests);
  const changedAt = Array.from({ length: requests }, () => ({})); // status -> earliest updatedAt
  let latencies = new Float64Array(1 << 16);
  let deliveries = 0;
  const subscribeMs = [];
  const stats = { connectErrors: 0, socketErrors: 0, protocolErrors: 0, lateSubscriptions: 0, lastDeliveryAt: 0 };
  const subscribeFrame = (k, id) =>
    JSON.stringify({ id: String(k), type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { id } } });

  function receive(i, text, at) {
    const message = JSON.parse(text);
    switch (message.type) {
      case 'ping':
        sockets[i].send('{"type":"pong"}');
        return;
      case 'pong':
        return;
      case 'next': {
        const k = Number(message.id);
        if (message.payload.errors) {
          stats.protocolErrors++;
          if (stats.protocolErrors <= 5) log(`socket ${thread}/${i}: ${JSON.stringify(message.payload.errors)}`);
          return;
        }
        const { status, updatedAt } = message.payload.data.generationStatus;
        const bit = BIT[status] ?? 128;
        const changed = epochMs(updatedAt);
        seen[k][i] |= bit;
        const known = changedAt[k][status];
        if (known === undefined || changed < known) changedAt[k][status] = changed;
        if (first[k][i] === 0) {
          first[k][i] = bit;
          subscribeMs.push(at - sentAt[k]);
          if (status !== 'AWAITING_SELECTION') stats.lateSubscriptions++;
          return;
        }
        if (deliveries === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[deliveries++] = at - changed;
        stats.lastDeliveryAt = at;
        return;
      }
      case 'error':
        stats.protocolErrors++;
        if (stats.protocolErrors <= 5) log(`socket ${thread}/${i}: ${JSON.stringify(message.payload)}`);
        done[Number(message.id)][i] = 1;
        refused[Number(message.id)][i] = 1;
        return;
      case 'complete':
        done[Number(message.id)][i] = 1;
        return;
      default:
        stats.protocolErrors++;
    }
  }

  function connect(i) {
    return new Promise((resolve) => {
      const socket = new WebSocket(wsUrl, 'graphql-transport-ws', {
        perMessageDeflate: false,
        skipUTF8Validation: true,
      });
      sockets[i] = socket;
      let settled = false;
      const fail = (why) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stats.connectErrors++;
        if (stats.connectErrors <= 5) log(`socket ${thread}/${i}: ${why}`);
        socket.terminate();
        resolve();
      };
      const timer = setTimeout(() => fail('no connection_ack in 60 s'), 60_000);
      socket.on('open', () => {
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      });
      socket.on('error', (e) => {
        if (!settled) return fail(e.message);
        stats.socketErrors++;
      });
      socket.on('close', (code, reason) => {
        if (!settled) return fail(`closed ${code} ${reason}`);
        if (open[i] === 1) {
          stats.socketErrors++;
          if (stats.socketErrors <= 5) log(`socket ${thread}/${i} closed ${code} ${reason}`);
        }
        if (open[i] !== 3) open[i] = 2;
      });
      socket.on('message', (data) => {
        const at = now();
        if (!settled) {
          if (JSON.parse(data.toString()).type === 'connection_ack') {
            settled = true;
            clearTimeout(timer);
            open[i] = 1;
            resolve();
          }
          return;
        }
        receive(i, data.toString(), at);
      });
    });
  }

  /** Opens the sockets at this thread's share of the rate, never waiting on one. */
  async function openAll() {
    const start = now();
    const pending = [];
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / openRate;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      pending.push(connect(i));
    }
    await Promise.all(pending);
    const connected = open.reduce((n, o) => n + (o === 1), 0);
    return { connected, seconds: (now() - start) / 1000 };
  }

  /** Subscribes every open socket to request k, the frames spread over `spreadMs`. */
  async function subscribeAll(k, id, spreadMs) {
    subscribed[k] = 1;
    sentAt[k] = now();
    const frame = subscribeFrame(k, id);
    const chunks = Math.max(1, Math.ceil(spreadMs / 10));
    const per = Math.ceil(count / chunks);
    for (let c = 0; c < chunks; c++) {
      for (let i = c * per; i < Math.min(count, (c + 1) * per); i++) {
        if (open[i] === 1) sockets[i].send(frame);
      }
      if (c + 1 < chunks) await sleep(10);
    }
  }

  /** Subscriptions of the given requests that have not ended, on open sockets. */
  function unfinished(ks) {
    let n = 0;
    for (const k of ks) {
      if (!subscribed[k]) continue;
      for (let i = 0; i < count; i++) if (open[i] === 1 && !done[k][i]) n++;
    }
    return n;
  }

  function firstMessages(ks) {
    let n = 0;
    for (const k of ks) for (let i = 0; i < count; i++) n += first[k][i] !== 0;
    return n;
  }

  parentPort.on('message', async (message) => {
    switch (message.type) {
      case 'open':
        parentPort.postMessage({ type: 'opened', ...(await openAll()) });
        break;
      case 'subscribe':
        await subscribeAll(message.k, message.id, message.spreadMs);
        break;
      case 'count':
        parentPort.postMessage({
          type: 'count',
          unfinished: unfinished(message.ks),
          firstMessages: firstMessages(message.ks),
        });
        break;
      case 'finish': {
        const closedEarly = new Uint8Array(count);
        for (let i = 0; i < count; i++) closedEarly[i] = open[i] === 2 ? 1 : 0;
        open.fill(3); // closing: their close events are no errors
        for (const socket of sockets) if (socket) socket.close(1000);
        delay.disable();
        const lat = latencies.slice(0, deliveries);
        parentPort.postMessage(
          {
            type: 'finished',
            count,
            seen,
            first,
            done,
            refused,
            closedEarly,
            changedAt,
            latencies: lat,
            subscribeMs: Float64Array.from(subscribeMs),
            stats,
            loopDelayP99Ms: delay.percentile(99) / 1e6,
            loopDelayMaxMs: delay.max / 1e6,
          },
          [lat.buffer],
        );
        setTimeout(() => process.exit(0), 500);
        break;
      }
    }
  });
}

// ---------------------------------------------------------------------------
// The driver: the pool, the threads, the selections, the tally.
// ---------------------------------------------------------------------------

async function main() {
  const [httpBase, token, projectId, modelId] = process.argv.slice(2);
  if (!modelId) {
    console.error('usage: node bench/q4.mjs HTTP_BASE TOKEN PROJECT_ID MODEL_ID');
    process.exit(64);
  }
  const SUBSCRIBERS = Number(process.env.Q4_SUBSCRIBERS ?? 10000);
  const OPEN_RATE = Number(process.env.Q4_OPEN_RATE ?? 500);
  const INTERVAL_MS = Number(process.env.Q4_INTERVAL_MS ?? 1000);
  const DURATION_S = Number(process.env.Q4_DURATION_S ?? 60);
  const LEAD = Number(process.env.Q4_LEAD ?? 2);
  const THREADS = Math.max(1, Math.min(SUBSCRIBERS, Number(process.env.Q4_THREADS ?? 2)));
  const TICKS = Math.max(1, Math.round((DURATION_S * 1000) / INTERVAL_MS));
  const POOL = TICKS + LEAD;
  const wsUrl = (process.env.Q4_WS_BASE ?? httpBase).replace(/^http/, 'ws') + '/graphql/ws';
  const serverPids = (process.env.Q4_SERVER_PIDS ?? '').split(',').filter(Boolean);

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
    const deadline = Date.now() + 300_000;
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

  // The servers' memory, sampled through the whole pass.
  const rss = {};
  const readKb = (pid, key) => {
    try {
      const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) : NaN;
    } catch {
      return NaN;
    }
  };
  const sampleRss = () => {
    for (const pid of serverPids) {
      const kb = readKb(pid, 'VmRSS');
      rss[pid] ??= { start: kb, peak: kb, opened: NaN, subscribed: NaN };
      if (kb > rss[pid].peak) rss[pid].peak = kb;
    }
  };
  sampleRss();
  const rssTimer = setInterval(sampleRss, 500);
  const cpuStart = process.cpuUsage();

  log(`making ${POOL} requests that await a selection`);
  const pool = await makePool();

  // The sockets, shared out among the threads.
  const threads = [];
  for (let t = 0; t < THREADS; t++) {
    const count = Math.floor(SUBSCRIBERS / THREADS) + (t < SUBSCRIBERS % THREADS ? 1 : 0);
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { wsUrl, token, count, openRate: (OPEN_RATE * count) / SUBSCRIBERS, requests: POOL, thread: t },
    });
    worker.on('error', (e) => {
      console.error(`q4: client thread ${t}: ${e.stack ?? e}`);
      process.exit(1);
    });
    threads.push(worker);
  }
  const ask = (message, answer) =>
    Promise.all(
      threads.map(
        (w) =>
          new Promise((resolve) => {
            const on = (reply) => {
              if (reply.type !== answer) return;
              w.off('message', on);
              resolve(reply);
            };
            w.on('message', on);
            w.postMessage(message);
          }),
      ),
    );
  const tell = (message) => threads.forEach((w) => w.postMessage(message));

  log(`opening ${SUBSCRIBERS} sockets at ${OPEN_RATE}/s on ${THREADS} client threads`);
  const opened = await ask({ type: 'open' }, 'opened');
  const connected = opened.reduce((n, o) => n + o.connected, 0);
  const connectSeconds = Math.max(...opened.map((o) => o.seconds));
  sampleRss();
  for (const pid of serverPids) rss[pid].opened = readKb(pid, 'VmRSS');
  log(`${connected} sockets acknowledged in ${connectSeconds.toFixed(1)} s`);

  const count = async (ks) => {
    const replies = await ask({ type: 'count', ks }, 'count');
    return {
      unfinished: replies.reduce((n, r) => n + r.unfinished, 0),
      firstMessages: replies.reduce((n, r) => n + r.firstMessages, 0),
    };
  };
  const leadKs = Array.from({ length: LEAD }, (_, k) => k);
  for (const k of leadKs) tell({ type: 'subscribe', k, id: pool[k].id, spreadMs: INTERVAL_MS / 2 });
  const settleUntil = Date.now() + 60_000;
  while ((await count(leadKs)).firstMessages < connected * LEAD && Date.now() < settleUntil) await sleep(100);
  sampleRss();
  for (const pid of serverPids) rss[pid].subscribed = readKb(pid, 'VmRSS');

  log(`driving ${TICKS} selections, one every ${INTERVAL_MS} ms`);
  const selectMs = [];
  const selectedOk = new Set(); // requests whose selection succeeded: each goes through PROCESSING_FINAL
  let driverErrors = 0;
  const selections = [];
  const start = now();
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
        () => {
          selectMs.push(now() - sent);
          selectedOk.add(k);
        },
        (e) => {
          driverErrors++;
          log(`select ${k}: ${e.message}`);
        },
      ),
    );
    if (k + LEAD < pool.length) tell({ type: 'subscribe', k: k + LEAD, id: pool[k + LEAD].id, spreadMs: INTERVAL_MS / 2 });
  }
  await Promise.all(selections);
  // The last requests still get their final; then every subscription completes.
  // Those never selected (the LEAD requests past the end) are left out below.
  const selectedKs = Array.from({ length: TICKS }, (_, k) => k);
  const drainUntil = Date.now() + 60_000;
  let incomplete = (await count(selectedKs)).unfinished;
  while (incomplete > 0 && Date.now() < drainUntil) {
    await sleep(250);
    incomplete = (await count(selectedKs)).unfinished;
  }
  clearInterval(rssTimer);
  sampleRss();
  const cpu = process.cpuUsage(cpuStart);
  const reports = await ask({ type: 'finish' }, 'finished');

  // A missed update: a status of a request that some subscriber saw and another
  // did not, each put down to a cause.
  const changedAt = selectedKs.map(() => ({}));
  for (const r of reports) {
    for (const k of selectedKs) {
      for (const [status, at] of Object.entries(r.changedAt[k])) {
        if (!(changedAt[k][status] <= at)) changedAt[k][status] = at;
      }
    }
  }
  let missed = 0;
  let changes = 0;
  let seenAtSubscribe = 0; // statuses a late subscription got as its first message, not as a change
  const causes = {};
  const missedByStatus = {};
  const blame = (cause, status) => {
    missed++;
    causes[cause] = (causes[cause] ?? 0) + 1;
    missedByStatus[status] = (missedByStatus[status] ?? 0) + 1;
  };
  for (const k of selectedKs) {
    let union = 0;
    for (const r of reports) for (let i = 0; i < r.count; i++) union |= r.seen[k][i];
    union &= ~BIT.AWAITING_SELECTION; // the state at subscribe time, not a change
    // A status nobody saw is still one every subscriber missed.
    if (selectedOk.has(k)) union |= BIT.PROCESSING_FINAL;
    const statuses = Object.keys(STATUS_OF_BIT).map(Number).filter((b) => union & b);
    changes += statuses.length;
    for (const r of reports) {
      for (let i = 0; i < r.count; i++) {
        const mine = r.seen[k][i];
        for (const b of statuses) {
          if (mine & b) {
            if (r.first[k][i] === b) seenAtSubscribe++;
            continue;
          }
          const status = STATUS_OF_BIT[b];
          if (r.closedEarly[i]) blame('socket_closed', status);
          else if (r.first[k][i] === 0) blame(r.refused[k][i] ? 'subscription_refused' : 'never_answered', status);
          else if (r.first[k][i] !== BIT.AWAITING_SELECTION) blame('subscribed_after_change', status);
          else if (mine > b) blame('overtaken_by_later_status', status);
          else blame('not_delivered', status);
        }
      }
    }
  }
  // How long a request stayed PROCESSING_FINAL: the window in which a subscriber
  // must read the request to see that status at all.
  const finalPhaseMs = selectedKs
    .map((k) => changedAt[k].COMPLETED - changedAt[k].PROCESSING_FINAL)
    .filter(Number.isFinite);

  const all = (key) => {
    const out = new Float64Array(reports.reduce((n, r) => n + r[key].length, 0));
    let o = 0;
    for (const r of reports) {
      out.set(r[key], o);
      o += r[key].length;
    }
    return out.sort();
  };
  const sorted = all('latencies');
  const subscribeSorted = all('subscribeMs');
  const selectSorted = Float64Array.from(selectMs).sort();
  const finalPhaseSorted = Float64Array.from(finalPhaseMs).sort();
  const sum = (key) => reports.reduce((n, r) => n + r.stats[key], 0);
  const lastDeliveryAt = Math.max(...reports.map((r) => r.stats.lastDeliveryAt));
  const window = (lastDeliveryAt - start) / 1000;
  const percentile = (s, p) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN);
  const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'nan');
  const mib = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : 'nan');
  const rssField = (what) => serverPids.map((pid) => mib(rss[pid]?.[what])).join('/') || 'nan';
  const result = {
    subscribers: SUBSCRIBERS,
    connected,
    connect_s: connectSeconds.toFixed(1),
    open_rate: OPEN_RATE,
    client_threads: THREADS,
    selections: TICKS,
    interval_ms: INTERVAL_MS,
    lead: LEAD,
    status_changes: changes,
    expected: changes * connected,
    deliveries: sorted.length,
    seen_at_subscribe: seenAtSubscribe,
    deliveries_per_s: (sorted.length / Math.max(window, 1e-9)).toFixed(1),
    p50_ms: fmt(percentile(sorted, 50)),
    p99_ms: fmt(percentile(sorted, 99)),
    max_ms: fmt(sorted[sorted.length - 1]),
    min_ms: fmt(sorted[0]),
    missed,
    missed_by_status: Object.entries(missedByStatus).map(([s, n]) => `${s}:${n}`).join(',') || 'none',
    missed_by_cause: Object.entries(causes).map(([c, n]) => `${c}:${n}`).join(',') || 'none',
    final_phase_p50_ms: fmt(percentile(finalPhaseSorted, 50)),
    late_subscriptions: sum('lateSubscriptions'),
    incomplete,
    subscribe_p50_ms: fmt(percentile(subscribeSorted, 50)),
    subscribe_p99_ms: fmt(percentile(subscribeSorted, 99)),
    select_p50_ms: fmt(percentile(selectSorted, 50)),
    connect_errors: sum('connectErrors'),
    socket_errors: sum('socketErrors'),
    protocol_errors: sum('protocolErrors'),
    driver_errors: driverErrors,
    client_cpu_s: ((cpu.user + cpu.system) / 1e6).toFixed(1),
    client_loop_delay_p99_ms: fmt(Math.max(...reports.map((r) => r.loopDelayP99Ms))),
    client_loop_delay_max_ms: fmt(Math.max(...reports.map((r) => r.loopDelayMaxMs))),
    rss_start_mib: rssField('start'),
    rss_opened_mib: rssField('opened'),
    rss_subscribed_mib: rssField('subscribed'),
    rss_peak_mib: rssField('peak'),
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
