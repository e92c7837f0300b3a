// The live dashboard: sign in, see the credit balance, ask for a generation,
// follow each request of this browser as it moves through the queue, pick a
// sample, read new notifications. Queries and mutations go over HTTP, live
// updates over one graphql-ws socket (the `graphqlWs` global of the bundle the
// page loads first). Plain ES module, no build step.

const ENDPOINT = '/graphql';
const WS_URL = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql/ws`;
const TOKEN_KEY = 'atelier.dashboard.token';
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CONTENT_REJECTED']);
/// How many of this browser's requests the queue remembers across reloads.
const REMEMBERED = 20;

const REQUEST_FIELDS = `
  id status inputPrompt errorMessage createdAt creditsCostSample creditsCostFinal
  samples { id downloadUrl }
  selectedSample { id }
  finalAsset { id downloadUrl }
`;

const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  user: null,
  socket: null,
  /** id -> { request, element, unsubscribe } */
  requests: new Map(),
  stops: [],
};

/** An answer with errors: the first one's message and code. */
class GraphQLFailure extends Error {
  constructor(errors) {
    super(errors[0]?.message ?? 'request failed');
    this.code = errors[0]?.extensions?.code;
  }
}

async function graphql(query, variables = {}) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  };
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new GraphQLFailure(body.errors);
  return body.data;
}

/** Runs a subscription on the page's socket; returns its stop function. */
function subscribe(query, variables, onData) {
  return state.socket.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) showMessage(result.errors[0].message);
        else onData(result.data);
      },
      error: (error) => showMessage(describe(error)),
      complete: () => {},
    },
  );
}

function describe(error) {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error[0]?.message ?? 'subscription failed';
  if (error && typeof error.code === 'number') return `live updates stopped (${error.code})`;
  return 'something went wrong';
}

function showMessage(text) {
  const message = $('message');
  message.textContent = text;
  message.hidden = !text;
}

/** The downloadUrl is this server's: use it relative to where the page came from. */
function local(url) {
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search;
}

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function statusLabel(status) {
  const words = status.toLowerCase().split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// ---------------------------------------------------------------------------
// Signing in and out
// ---------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button');
  button.disabled = true;
  showMessage('');
  try {
    const data = await graphql(
      'mutation SignIn($input: SignInInput!) { signIn(input: $input) { token } }',
      { input: { email: form.email.value.trim(), password: form.password.value } },
    );
    state.token = data.signIn.token;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    form.reset();
    await start();
  } catch (error) {
    showMessage(describe(error));
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try {
    await graphql('mutation SignOut { signOut { ok } }');
  } catch {
    // The session may be gone already; the page forgets it either way.
  }
  stop();
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn();
}

function stop() {
  for (const stopOne of state.stops) stopOne();
  state.stops = [];
  for (const tracked of state.requests.values()) tracked.unsubscribe?.();
  state.requests.clear();
  state.socket?.dispose();
  state.socket = null;
  $('queue').replaceChildren();
  $('notifications').replaceChildren();
}

function showSignIn() {
  $('account').hidden = true;
  $('studio').hidden = true;
  $('sign-in').hidden = false;
}

// ---------------------------------------------------------------------------
// The signed-in page
// ---------------------------------------------------------------------------

async function start() {
  let data;
  try {
    data = await graphql(`query Dashboard {
      me { id email username fullName creditBalance }
      projects(first: 50) { edges { node { id name } } }
      aiModels(first: 50, filter: {taskType: IMAGE_GENERATION}) { edges { node { id name } } }
    }`);
  } catch (error) {
    if (error.code === 'UNAUTHENTICATED') {
      state.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn();
      return;
    }
    showMessage(describe(error));
    return;
  }
  if (!data.me) {
    showSignIn();
    return;
  }
  state.user = data.me;
  $('who').textContent = data.me.fullName || data.me.username || data.me.email;
  $('balance').textContent = data.me.creditBalance;
  fillSelect('projectId', data.projects.edges, 'Create a project first');
  fillSelect('aiModelId', data.aiModels.edges, 'No image model is available');
  $('sign-in').hidden = true;
  $('account').hidden = false;
  $('studio').hidden = false;

  connect();
  state.stops.push(
    subscribe('subscription Balance { creditBalanceChanged { balance } }', {}, (d) => {
      $('balance').textContent = d.creditBalanceChanged.balance;
    }),
    subscribe(
      'subscription Notifications { notificationReceived { id type message createdAt } }',
      {},
      (d) => addNotification(d.notificationReceived),
    ),
  );
  await restoreQueue();
}

function fillSelect(name, edges, emptyText) {
  const select = document.querySelector(`#generate-form [name="${name}"]`);
  select.replaceChildren(
    ...edges.map(({ node }) => element('option', { value: node.id }, node.name)),
  );
  if (!edges.length) select.append(element('option', { value: '', disabled: true, selected: true }, emptyText));
}

function connect() {
  state.socket = graphqlWs.createClient({
    url: WS_URL,
    lazy: false,
    retryAttempts: Infinity,
    connectionParams: () => ({ authorization: `Bearer ${state.token}` }),
    on: {
      connected: () => setLive('live'),
      closed: () => setLive('reconnecting'),
    },
  });
}

function setLive(status) {
  const live = $('live');
  live.dataset.state = status;
  live.textContent = status;
}

function addNotification(notification) {
  $('notifications-empty').hidden = true;
  const when = new Date(notification.createdAt);
  $('notifications').prepend(
    element(
      'li',
      { dataset: { type: notification.type } },
      notification.message,
      element('time', { dateTime: notification.createdAt }, when.toLocaleString()),
    ),
  );
}

// ---------------------------------------------------------------------------
// The queue
// ---------------------------------------------------------------------------

function rememberedKey() {
  return `atelier.dashboard.requests.${state.user.id}`;
}

function remembered() {
  try {
    const ids = JSON.parse(localStorage.getItem(rememberedKey()) ?? '[]');
    return Array.isArray(ids) ? ids.filter((id) => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

function remember(id) {
  const ids = [id, ...remembered().filter((other) => other !== id)].slice(0, REMEMBERED);
  localStorage.setItem(rememberedKey(), JSON.stringify(ids));
}

async function restoreQueue() {
  const ids = remembered();
  for (const id of ids.slice().reverse()) {
    try {
      const data = await graphql(
        `query Request($id: ID!) { generationRequest(id: $id) { ${REQUEST_FIELDS} } }`,
        { id },
      );
      if (data.generationRequest) track(data.generationRequest);
    } catch (error) {
      showMessage(describe(error));
    }
  }
}

async function requestGeneration(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  showMessage('');
  try {
    const data = await graphql(
      `mutation RequestGeneration($input: RequestGenerationInput!) {
        requestGeneration(input: $input) { generationRequest { ${REQUEST_FIELDS} } }
      }`,
      {
        input: {
          projectId: form.projectId.value,
          aiModelId: form.aiModelId.value,
          inputPrompt: form.inputPrompt.value.trim(),
          inputParameters: { sampleCount: Number(form.sampleCount.value) },
          // A double submit (or a retry) asks once and pays once.
          idempotencyKey: crypto.randomUUID(),
        },
      },
    );
    const request = data.requestGeneration.generationRequest;
    remember(request.id);
    track(request);
    form.inputPrompt.value = '';
  } catch (error) {
    showMessage(describe(error));
  } finally {
    button.disabled = false;
  }
}

/** Shows a request and follows it live until its status is terminal. */
function track(request) {
  let tracked = state.requests.get(request.id);
  if (!tracked) {
    tracked = { request, element: element('li', { className: 'request' }) };
    state.requests.set(request.id, tracked);
    $('queue').prepend(tracked.element);
    $('queue-empty').hidden = true;
    if (!TERMINAL.has(request.status)) {
      tracked.unsubscribe = subscribe(
        `subscription Status($id: ID!) { generationStatus(generationRequestId: $id) { ${REQUEST_FIELDS} } }`,
        { id: request.id },
        (d) => update(d.generationStatus),
      );
    }
  }
  update(request);
}

/** Pipeline order: an answer that arrives late never moves a request back. */
const STAGE = { PENDING: 0, PROCESSING_SAMPLES: 1, AWAITING_SELECTION: 2, PROCESSING_FINAL: 3 };
const stage = (status) => STAGE[status] ?? 4;

function update(request) {
  const tracked = state.requests.get(request.id);
  if (!tracked) return;
  if (tracked.element.dataset.status && stage(request.status) < stage(tracked.request.status)) return;
  tracked.request = request;
  tracked.element.dataset.status = request.status;
  const costs = [
    request.creditsCostSample && `samples ${request.creditsCostSample}`,
    request.creditsCostFinal && `final ${request.creditsCostFinal}`,
  ].filter(Boolean);
  tracked.element.replaceChildren(
    element(
      'header',
      {},
      element('span', { className: 'prompt' }, request.inputPrompt),
      element(
        'span',
        { className: 'status', dataset: { status: request.status }, 'data-testid': 'status' },
        statusLabel(request.status),
      ),
    ),
    element(
      'div',
      { className: 'detail' },
      `${new Date(request.createdAt).toLocaleString()} · credits: ${costs.join(', ')}`,
      request.errorMessage ? ` · ${request.errorMessage}` : null,
    ),
    thumbnails(request),
  );
}

function thumbnails(request) {
  const row = element('div', { className: 'thumbs' });
  if (request.finalAsset?.downloadUrl) {
    row.append(
      element(
        'span',
        { className: 'thumb final', 'data-testid': 'final' },
        element('img', { src: local(request.finalAsset.downloadUrl), alt: `Final: ${request.inputPrompt}` }),
      ),
    );
  }
  const choosing = request.status === 'AWAITING_SELECTION';
  request.samples.forEach((sample, index) => {
    if (!sample.downloadUrl) return;
    const image = element('img', {
      src: local(sample.downloadUrl),
      alt: `Sample ${index + 1}`,
      loading: 'lazy',
    });
    const selected = request.selectedSample?.id === sample.id;
    if (choosing) {
      const pick = element(
        'button',
        { type: 'button', className: 'thumb', title: `Pick sample ${index + 1}`, 'data-testid': 'sample' },
        image,
      );
      pick.addEventListener('click', () => selectSample(request, sample, pick));
      row.append(pick);
    } else {
      row.append(
        element('span', { className: 'thumb', dataset: { selected: String(selected) } }, image),
      );
    }
  });
  return row;
}

async function selectSample(request, sample, button) {
  for (const other of button.parentElement.querySelectorAll('button')) other.disabled = true;
  showMessage('');
  try {
    const data = await graphql(
      `mutation Select($input: SelectGenerationSampleInput!) {
        selectGenerationSample(input: $input) { generationRequest { ${REQUEST_FIELDS} } }
      }`,
      { input: { generationRequestId: request.id, sampleAssetId: sample.id } },
    );
    update(data.selectGenerationSample.generationRequest);
  } catch (error) {
    showMessage(describe(error));
    for (const other of button.parentElement.querySelectorAll('button')) other.disabled = false;
  }
}

// ---------------------------------------------------------------------------

$('sign-in-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', signOut);
$('generate-form').addEventListener('submit', requestGeneration);
if (state.token) start();
else showSignIn();
