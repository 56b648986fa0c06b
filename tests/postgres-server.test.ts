import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth.ts';
import { loadConfig } from '../src/config.ts';
import { createDb, type Db } from '../src/db/database.ts';
import { prepareDatabase } from '../src/db/prepare.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { gql as request } from './helpers/gql.ts';
import { createServerDatabase } from './helpers/server-db.ts';

// Whole servers on real PostgreSQL (and Redis): run with TEST_DATABASE_URL, as CI does.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const enabled = !!process.env.TEST_DATABASE_URL;
if (!enabled) console.warn('skipping the PostgreSQL server tests: set TEST_DATABASE_URL to run them');

let database: Awaited<ReturnType<typeof createServerDatabase>>;
let db: Db;
const servers: RunningServer[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!enabled) return;
  database = await createServerDatabase();
  db = await createDb({ databaseUrl: database?.url });
  await prepareDatabase(db, { sampleData: 'auto' });
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await Promise.all(
    children.map(async (c) => {
      c.kill('SIGTERM');
      if (c.exitCode === null) await once(c, 'exit');
    }),
  );
  await db?.destroy();
  await database?.drop();
});

async function serve(overrides: Record<string, string> = {}, databaseUrl = database?.url ?? '') {
  const config = {
    ...loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '1000000', ...overrides }),
    databaseUrl,
    port: 0,
  };
  const server = await startServer(config);
  servers.push(server);
  return server;
}

/** A real server process (`papergraph serve`) on the test database; returns its GraphQL URL. */
async function serveProcess(env: Record<string, string>): Promise<string> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = String((probe.address() as net.AddressInfo).port);
  probe.close();
  const child = spawn('node', ['bin/papergraph.js', 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: database?.url ?? '',
      PORT: port,
      LOG_LEVEL: 'info',
      SAMPLE_DATA: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let output = '';
  for await (const chunk of child.stdout) {
    output += String(chunk);
    const url = /serving (http:\/\/[^\s"]+)/.exec(output)?.[1];
    if (url) return url;
  }
  throw new Error(`the server did not start: ${output}`);
}

async function gql(url: string, query: string, variables?: Record<string, unknown>, key?: string) {
  const { status, headers: _headers, ...body } = await request(url, query, variables, { key });
  return { status, body };
}

describe.runIf(enabled)('on PostgreSQL', () => {
  it('with REDIS_URL, a paper created through one server process reaches a subscriber of another', async () => {
    const a = await serveProcess({ REDIS_URL });
    const b = await serveProcess({ REDIS_URL });
    const { key } = await createApiKey(db, 'redis test', ['write']);
    const controller = new AbortController();
    const response = await fetch(b, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { paperAdded { title } }' }),
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    setTimeout(
      () => void gql(a, 'mutation { createPaper(input: { title: "Sent through Redis" }) { __typename } }', {}, key),
      500,
    );
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('Sent through Redis') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('{"data":{"paperAdded":{"title":"Sent through Redis"}}}');
  });

  it('PostgreSQL cancels a statement over STATEMENT_TIMEOUT_MS', async () => {
    const limited = await createDb({ databaseUrl: database?.url, statementTimeoutMs: 100 });
    try {
      await expect(sql`select pg_sleep(2)`.execute(limited)).rejects.toMatchObject({ code: '57014' });
      await expect(sql`select 1 as one`.execute(limited)).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await limited.destroy();
    }
  });

  it('1,000 upvotes from 50 concurrent clients count exactly', async () => {
    const server = await serve();
    const created = await gql(
      server.url,
      'mutation { createPaper(input: { title: "The most upvoted paper" }) { ... on CreatePaperPayload { paper { id upvotes } } } }',
      {},
      (await createApiKey(db, 'creator', ['write'])).key,
    );
    const paper = (created.body.data?.createPaper as { paper: { id: string; upvotes: number } } | undefined)?.paper ?? {
      id: '',
      upvotes: -1,
    };
    const keys = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => createApiKey(db, `voter ${i}`, ['write']).then((k) => k.key)),
    );
    let next = 0;
    const failures: unknown[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let i = next++; i < keys.length; i = next++) {
          const result = await gql(
            server.url,
            'mutation ($id: ID!) { upvotePaper(input: { id: $id }) { ... on UpvotePaperPayload { changed } } }',
            { id: paper.id },
            keys[i],
          );
          if ((result.body.data?.upvotePaper as { changed?: boolean } | undefined)?.changed !== true)
            failures.push(result.body);
        }
      }),
    );
    expect(failures).toEqual([]);
    const after = await gql(server.url, 'query ($id: ID!) { node(id: $id) { ... on Paper { upvotes } } }', {
      id: paper.id,
    });
    expect(after.body.data?.node).toEqual({ upvotes: paper.upvotes + 1000 });
  });

  it('survives the database going away mid-load and recovers by itself, losing no committed write', async () => {
    // A TCP proxy the test controls stands between the server and PostgreSQL.
    const target = new URL(database?.url ?? '');
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const port = (proxy.address() as net.AddressInfo).port;
    const viaProxy = Object.assign(new URL(target.href), { hostname: '127.0.0.1', port: String(port) }).href;
    const server = await serve({ STATEMENT_TIMEOUT_MS: '2000' }, viaProxy);
    const { key } = await createApiKey(db, 'fault test', ['write']);
    const origin = new URL(server.url).origin;

    const committed: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const title = `Written during the outage test ${i}`;
        try {
          const result = await gql(
            server.url,
            'mutation ($t: String!) { createPaper(input: { title: $t }) { __typename } }',
            { t: title },
            key,
          );
          if (
            (result.body.data?.createPaper as { __typename?: string } | undefined)?.__typename === 'CreatePaperPayload'
          )
            committed.push(title);
        } catch {
          // a refused request during the outage; keep going
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 500));

    // Outage: the proxy stops and drops every connection.
    proxy.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const ready = await fetch(`${origin}/ready`);
    expect(ready.status).toBe(503);
    const down = await gql(server.url, '{ papers(first: 1) { totalCount } }');
    expect(down.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect((await fetch(`${origin}/health`)).status).toBe(200);

    // The database comes back on the same address: the server serves again within seconds.
    proxy.listen(port, '127.0.0.1');
    await once(proxy, 'listening');
    const deadline = Date.now() + 10_000;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      recovered = (await fetch(`${origin}/ready`)).status === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovered).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await writer;
    proxy.close();
    for (const s of sockets) s.destroy();

    expect(committed.length).toBeGreaterThan(0);
    const stored = await db
      .selectFrom('papers')
      .select('title')
      .where('title', 'like', 'Written during the outage test %')
      .execute();
    const titles = new Set(stored.map((r) => r.title));
    expect(committed.filter((t) => !titles.has(t))).toEqual([]);
  });
});
