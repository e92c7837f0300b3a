// What the client and browser suites share: the server under test (from
// ATELIER_URL, set by the Rust test that started it), a plain GraphQL call for
// setting things up as "another client", and a few fixtures.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

export const base = process.env.ATELIER_URL ?? assert.fail('ATELIER_URL is not set');
export const httpUrl = `${base}/graphql`;
export const wsUrl = `${base.replace(/^http/, 'ws')}/graphql/ws`;
export const PASSWORD = 'correct horse battery';

/** A POST as any backend client sends it; fails on errors unless `allowErrors`. */
export async function graphql(query, variables = {}, token, { allowErrors = false } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(httpUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (!allowErrors) assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return allowErrors ? body : body.data;
}

/** A new account; `email` is unique per call. */
export async function signUp(prefix) {
  const email = `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
  const data = await graphql(
    'mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }',
    { input: { email, password: PASSWORD, fullName: `${prefix} tester` } },
  );
  return { email, token: data.signUp.token, userId: data.signUp.user.id };
}

/** A new account with a workbench and a project, and the demo image model. */
export async function studio(prefix) {
  const account = await signUp(prefix);
  const bench = await graphql(
    'mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { id } } }',
    { input: { name: `${prefix} bench` } },
    account.token,
  );
  const project = await graphql(
    'mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id name } } }',
    { input: { workbenchId: bench.createWorkbench.workbench.id, name: `${prefix} campaign` } },
    account.token,
  );
  return {
    ...account,
    projectId: project.createProject.project.id,
    projectName: project.createProject.project.name,
    modelId: await demoModel(),
  };
}

/** The demo data's image model (the Rust test seeds it). */
export async function demoModel() {
  const data = await graphql(
    '{ aiModels(filter: {search: "Atelier Diffusion"}) { edges { node { id name } } } }',
  );
  const node = data.aiModels.edges[0]?.node;
  assert.ok(node, 'the demo image model is seeded');
  return node.id;
}

/** Asks for a generation as another client would; returns the request's id. */
export async function requestGeneration(who, prompt = 'A lighthouse at dusk', sampleCount = 2) {
  const data = await graphql(
    'mutation($input: RequestGenerationInput!) { requestGeneration(input: $input) { generationRequest { id status } } }',
    {
      input: {
        projectId: who.projectId,
        aiModelId: who.modelId,
        inputPrompt: prompt,
        inputParameters: { sampleCount },
      },
    },
    who.token,
  );
  return data.requestGeneration.generationRequest.id;
}

/** Waits until `check` returns a truthy value (polling), or fails after `ms`. */
export async function eventually(check, ms = 30_000, what = 'the condition') {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`timed out waiting for ${what} (last: ${last})`);
}

/** A 1x1 PNG. */
export const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
