// Follows one generation request with the graphql-ws client (the library SPAs
// use), selects the first sample when asked, and prints each status as a JSON
// line; exits 0 after COMPLETED. Usage: node follow-generation.mjs HTTP_URL TOKEN REQUEST_ID
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [httpUrl, token, requestId] = process.argv.slice(2);
const wsUrl = httpUrl.replace(/^http/, 'ws') + '/graphql/ws';

const client = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
});

async function graphql(query, variables) {
  const response = await fetch(`${httpUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

const timer = setTimeout(() => {
  console.error('timed out');
  process.exit(2);
}, 60_000);

const statuses = [];
let selected = false;
const subscription = client.iterate({
  query: `subscription($id: ID!) { generationStatus(generationRequestId: $id) { id status samples { id } } }`,
  variables: { id: requestId },
});

try {
  for await (const result of subscription) {
    if (result.errors) {
      console.error(JSON.stringify(result.errors));
      process.exit(3);
    }
    const request = result.data.generationStatus;
    statuses.push(request.status);
    console.log(JSON.stringify({ status: request.status, samples: request.samples.length }));
    if (request.status === 'AWAITING_SELECTION' && !selected) {
      selected = true;
      const answer = await graphql(
        `mutation($input: SelectGenerationSampleInput!) { selectGenerationSample(input: $input) { generationRequest { status } } }`,
        { input: { generationRequestId: requestId, sampleAssetId: request.samples[0].id } },
      );
      if (answer.errors) {
        console.error(JSON.stringify(answer.errors));
        process.exit(4);
      }
    }
  }
} finally {
  clearTimeout(timer);
  await client.dispose();
}
// The server ends the stream after a terminal status.
process.exit(statuses.at(-1) === 'COMPLETED' ? 0 : 5);
