// GraphiQL and the dashboard in Debian's headless Chromium, driven as a person
// would (Playwright, no browser download). One browser for the file, a fresh
// context (and profile directory) per page; every request a page makes and
// every console error is recorded and asserted on. Screenshots go to
// $ATELIER_ARTIFACTS (target/browser/).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

import { PASSWORD, base, eventually, graphql, requestGeneration, studio } from '../support.mjs';

const artifacts = process.env.ATELIER_ARTIFACTS ?? tmpdir();
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

let profile;
let browser;

before(async () => {
  profile = await mkdtemp(join(tmpdir(), 'atelier-chromium-'));
  // A persistent context is how Playwright takes --user-data-dir; one per file.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
});

after(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** A new page whose requests, sockets and console errors are all recorded. */
async function watchedPage() {
  const page = await browser.newPage();
  const seen = { requests: [], sockets: [], errors: [] };
  page.on('request', (request) => seen.requests.push({ url: request.url(), method: request.method(), body: request.postData() }));
  page.on('websocket', (socket) => seen.sockets.push(socket.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  });
  page.on('pageerror', (error) => seen.errors.push(String(error)));
  return { page, seen };
}

/** Runs `steps`; on a failure keeps a screenshot of what the page showed. */
async function withFailureShot(page, name, steps) {
  try {
    await steps();
  } catch (error) {
    await page.screenshot({ path: join(artifacts, `${name}-failure.png`), fullPage: true }).catch(() => {});
    throw error;
  }
}

/** Every request and socket went to this machine. */
function assertLoopbackOnly(seen) {
  const all = [...seen.requests.map((r) => r.url), ...seen.sockets];
  assert.ok(all.length > 0);
  const away = all.filter((url) => {
    const { protocol, hostname } = new URL(url);
    if (protocol === 'data:' || protocol === 'blob:') return false;
    return !['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
  });
  assert.deepEqual(away, [], 'no request leaves loopback');
}

/** The text of the CodeMirror editor inside `selector`. */
function editorText(page, selector) {
  return page.$eval(`${selector} .CodeMirror`, (node) => node.CodeMirror.getValue());
}

test('GraphiQL: docs, a typed query and a live subscription, all from this server', async () => {
  const me = await studio('graphiql');
  const { page, seen } = await watchedPage();
  await withFailureShot(page, 'graphiql', async () => {
  await page.goto(`${base}/graphiql`);
  await page.waitForSelector('.graphiql-query-editor .CodeMirror');

  // The Docs pane: the schema arrived (GraphiQL's own introspection query).
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
  const docs = page.locator('.graphiql-doc-explorer');
  await docs.getByText('Root Types').waitFor();
  const docsText = await docs.innerText();
  assert.doesNotMatch(docsText, /Error fetching schema/);
  for (const [root, type] of [['query', 'Query'], ['mutation', 'Mutation'], ['subscription', 'Subscription']]) {
    assert.match(docsText, new RegExp(`${root}\\s*:\\s*${type}`), docsText);
  }

  // A query typed on the keyboard, run with the button.
  const editor = page.locator('.graphiql-query-editor .CodeMirror');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  const typed = '{ aiModels { totalCount edges { node { name } } } }';
  await page.keyboard.type(typed, { delay: 5 });
  await page.keyboard.press('Escape');
  assert.equal((await editorText(page, '.graphiql-query-editor')).replace(/\s+/g, ' ').trim(), typed);
  await page.locator('.graphiql-execute-button').click();
  const shown = await eventually(async () => {
    const text = await editorText(page, '.graphiql-response');
    return text.includes('Atelier Diffusion') && text;
  }, 20_000, 'the query result');
  const result = JSON.parse(shown);
  assert.ok(result.data.aiModels.totalCount >= 1, shown);
  assert.equal(result.errors, undefined);

  // A subscription, with the token in the Headers editor; another client spends.
  const headers = page.locator('.graphiql-editor-tool .CodeMirror:visible');
  await headers.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(`{"Authorization": "Bearer ${me.token}"}`);
  await page.keyboard.press('Home');
  const typedHeaders = await headers.evaluate((node) => node.CodeMirror.getValue());
  assert.deepEqual(JSON.parse(typedHeaders), { Authorization: `Bearer ${me.token}` });
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type('subscription Balance { creditBalanceChanged { balance } }', { delay: 5 });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Home');
  // GraphiQL picks the transport from the operation name it has parsed; a
  // person clicks once the tab shows that name, and so does this test.
  await page.locator('.graphiql-tab-active', { hasText: 'Balance' }).waitFor();
  await page.locator('.graphiql-execute-button').click();
  await eventually(async () => (await editorText(page, '.graphiql-response')).includes('"10.00"'), 20_000, 'the current balance');
  await requestGeneration(me, 'GraphiQL watches this', 1);
  await eventually(async () => (await editorText(page, '.graphiql-response')).includes('"9.00"'), 20_000, 'the live balance');
  assert.ok(seen.sockets.some((url) => url.endsWith('/graphql/ws')), 'over the page’s WebSocket');

  await page.screenshot({ path: join(artifacts, 'graphiql.png') });
  await page.locator('.graphiql-execute-button').click(); // stops the subscription
  assertLoopbackOnly(seen);
  assert.deepEqual(seen.errors, [], 'no console error');
  });
  await page.close();
});

test('dashboard: sign in, generate, follow it live, pick a sample, pay', async () => {
  const me = await studio('dashboard');
  const { page, seen } = await watchedPage();
  await withFailureShot(page, 'dashboard', async () => {
  await page.goto(`${base}/dashboard`);

  await page.getByLabel('Email').fill(me.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const balance = page.getByTestId('balance');
  await eventually(async () => (await balance.innerText()) === '10.00', 20_000, 'the balance');
  await eventually(async () => (await page.locator('#live').innerText()) === 'live', 20_000, 'the live socket');

  await page.getByLabel('Project').selectOption({ label: me.projectName });
  await page.getByLabel('Model').selectOption({ label: 'Atelier Diffusion' });
  await page.getByLabel('Prompt').fill('A lighthouse at dusk, in watercolour');
  await page.getByLabel('Samples').selectOption('2');
  await page.getByRole('button', { name: 'Generate' }).click();

  const card = page.locator('.request').first();
  await card.getByText('A lighthouse at dusk, in watercolour').waitFor();
  const asked = seen.requests.length;
  const status = card.getByTestId('status');
  await eventually(async () => (await status.getAttribute('data-status')) === 'AWAITING_SELECTION', 60_000, 'AWAITING_SELECTION');
  assert.equal(await status.innerText(), 'Awaiting selection');
  await eventually(async () => (await balance.innerText()) === '9.00', 20_000, 'the sample price off the balance');
  const polled = seen.requests.slice(asked).filter((r) => r.url.endsWith('/graphql'));
  assert.deepEqual(polled, [], 'the status arrived live, not by polling');

  const samples = card.getByTestId('sample');
  assert.equal(await samples.count(), 2);
  await eventually(
    () => samples.evaluateAll((buttons) => buttons.every((b) => b.querySelector('img').naturalWidth > 0)),
    20_000,
    'the sample thumbnails',
  );
  await samples.first().click();
  await eventually(async () => (await status.getAttribute('data-status')) === 'COMPLETED', 60_000, 'COMPLETED');
  assert.equal(await status.innerText(), 'Completed');
  await eventually(async () => (await balance.innerText()) === '5.00', 20_000, 'the final price off the balance');
  const final = card.getByTestId('final').locator('img');
  await eventually(() => final.evaluate((img) => img.complete && img.naturalWidth > 0), 20_000, 'the final image');
  // The final debit crossed LOW_BALANCE_THRESHOLD (set by the Rust test): a notification, live.
  await page.locator('.notifications li[data-type="billing_alert"]').first().waitFor({ timeout: 20_000 });

  // What the page showed is what the server has.
  const { generationRequest } = await graphql(
    'query($id: ID!) { generationRequest(id: $id) { status selectedSample { id } } }',
    { id: await card.evaluate(() => JSON.parse(Object.values(localStorage).find((v) => v.startsWith('['))) [0]) },
    me.token,
  );
  assert.equal(generationRequest.status, 'COMPLETED');
  assert.ok(generationRequest.selectedSample);

  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  assertLoopbackOnly(seen);
  assert.deepEqual(seen.errors, [], 'no console error');
  });
  await page.close();
});
