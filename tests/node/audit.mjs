// Runs graphql-http's GraphQL-over-HTTP server audit against a running Atelier
// and prints one JSON line: how many audits passed and the failures by level.
// Usage: node audit.mjs URL
import { auditServer } from 'graphql-http';

const url = process.argv[2];
// Atelier wants a CSRF-prevention header on requests a browser could send
// without a preflight; an API client (like this one) always sends it.
const fetchFn = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('graphql-preflight', '1');
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
const summary = { passed: 0, failed: { MUST: 0, SHOULD: 0, MAY: 0 }, failures: [] };
for (const result of results) {
  if (result.status === 'ok') {
    summary.passed += 1;
  } else {
    const level = result.name.split(' ')[0];
    summary.failed[level] = (summary.failed[level] ?? 0) + 1;
    summary.failures.push(`${result.name}: ${result.reason ?? ''}`);
  }
}
console.log(JSON.stringify(summary));
