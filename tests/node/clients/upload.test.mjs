// A file upload as apollo-upload-client sends it: a GraphQL multipart request
// with the bearer token and no CSRF header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApolloClient, InMemoryCache, gql } from '@apollo/client/core/index.js';
import createUploadLink from 'apollo-upload-client/createUploadLink.mjs';

import { PIXEL_PNG, base, httpUrl, studio } from '../support.mjs';

test('apollo-upload-client: a multipart upload stores the file', async () => {
  const me = await studio('upload');
  const sent = [];
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: createUploadLink({
      uri: httpUrl,
      headers: { authorization: `Bearer ${me.token}` },
      fetch: (url, init) => {
        sent.push(init);
        return fetch(url, init);
      },
    }),
  });
  const file = new File([PIXEL_PNG], 'pixel.png', { type: 'image/png' });
  const { data } = await client.mutate({
    mutation: gql`
      mutation Upload($input: UploadAssetInput!) {
        uploadAsset(input: $input) { asset { id name mimeType format resolution downloadUrl } }
      }
    `,
    variables: { input: { projectId: me.projectId, name: 'Pixel', file } },
  });
  assert.ok(sent[0].body instanceof FormData, 'sent as multipart');
  assert.equal(new Headers(sent[0].headers).get('apollo-require-preflight'), null);
  const asset = data.uploadAsset.asset;
  assert.equal(asset.name, 'Pixel');
  assert.equal(asset.mimeType, 'image/png');
  assert.equal(asset.resolution, '1x1');

  const download = new URL(asset.downloadUrl);
  const stored = await fetch(`${base}${download.pathname}${download.search}`);
  assert.equal(stored.status, 200);
  assert.deepEqual(Buffer.from(await stored.arrayBuffer()), PIXEL_PNG);
});
