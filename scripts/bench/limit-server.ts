// The practical limit of a Node server on this machine: node:http + pg, and for each
// scenario ONE hand-written SQL statement that builds the complete JSON response inside
// PostgreSQL. No GraphQL parsing, validation or execution: the body is JSON-parsed only for
// operationName and variables. Usage: PORT=5050 DATABASE_URL=... tsx scripts/bench/limit-server.ts
import { createServer, type ServerResponse } from 'node:http';
import pg from 'pg';
import { limitStatement } from './scenarios.ts';

const port = Number(process.env.PORT ?? 5180);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
pool.on('error', () => {});

function send(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

// Named statements are prepared once per connection and then only executed, as PostGraphile
// does: the fairest limit.
const names = new Map<string, string>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const { operationName, variables = {} } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const statement = limitStatement(operationName, variables);
      if (!statement) return send(res, 400, '{"errors":[{"message":"unknown operationName"}]}');
      const name = names.get(statement.text) ?? `${operationName}_${names.size}`;
      names.set(statement.text, name);
      const result = await pool.query({ name, text: statement.text, values: statement.values });
      send(res, 200, result.rows[0].body);
    } catch (error) {
      send(res, 500, JSON.stringify({ errors: [{ message: String((error as Error).message) }] }));
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => console.log(`limit listening on http://127.0.0.1:${port}/graphql`));
const stop = async () => {
  server.close();
  await pool.end().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
