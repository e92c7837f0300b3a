// graphql-codegen introspects the running server (its URL loader, as a project
// configures it) and writes TypeScript types for the schema and an operation;
// code written against them compiles with tsc --noEmit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generate } from '@graphql-codegen/cli';

import { httpUrl } from '../support.mjs';

const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

const OPERATION = `
  query FollowGeneration($id: ID!) {
    generationRequest(id: $id) {
      id
      status
      samples { id downloadUrl }
      finalAsset { id downloadUrl }
    }
  }
`;

// Uses the generated types as an application would; must type-check.
const USAGE = `
import type { FollowGenerationQuery, FollowGenerationQueryVariables, GenerationStatus, Mutation } from './types';

const variables: FollowGenerationQueryVariables = { id: 'R2VuZXJhdGlvblJlcXVlc3Q6eA' };
export function statusOf(result: FollowGenerationQuery): GenerationStatus | undefined {
  return result.generationRequest?.status;
}
export function sampleUrls(result: FollowGenerationQuery): Array<string | null | undefined> {
  return result.generationRequest?.samples.map((sample) => sample.downloadUrl) ?? [];
}
export type SignInPayload = Mutation['signIn'];
export const done: GenerationStatus = 'COMPLETED' as GenerationStatus;
console.log(variables.id);
`;

test('graphql-codegen: types from the running server compile with tsc', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-codegen-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'operation.graphql'), OPERATION);
  await writeFile(join(dir, 'usage.ts'), USAGE);

  await generate(
    {
      schema: httpUrl,
      documents: join(dir, 'operation.graphql'),
      generates: {
        [join(dir, 'types.ts')]: {
          plugins: ['typescript', 'typescript-operations'],
          config: { scalars: { DateTime: 'string', Decimal: 'string', JSON: 'unknown', Upload: 'File' } },
        },
      },
      silent: true,
    },
    true,
  );
  const types = await readFile(join(dir, 'types.ts'), 'utf8');
  assert.match(types, /export type FollowGenerationQuery = /);
  assert.match(types, /export enum GenerationStatus \{/);
  assert.match(types, /AwaitingSelection = 'AWAITING_SELECTION'/);
  assert.match(types, /export type Subscription = \{/);

  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler',
      '--lib', 'es2022,dom', '--skipLibCheck', join(dir, 'types.ts'), join(dir, 'usage.ts')],
  ).catch((error) => assert.fail(`tsc failed:\n${error.stdout}${error.stderr}`));
  assert.equal(stdout + stderr, '');
});
