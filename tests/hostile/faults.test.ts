// Failing neighbours: TCP proxies the test owns stand between in-process servers and
// PostgreSQL or Redis, and refuse, drop or freeze their connections. Whatever they do, the
// process stays up (no unhandled rejection), answers within seconds, says what is wrong
// (SERVICE_UNAVAILABLE, never INTERNAL_SERVER_ERROR), and recovers by itself.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { loadConfig } from '../../src/config.ts';
import { createDb, type Db } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.ts';
import { createServerDatabase } from '../helpers/server-db.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const enabled = !!process.env.TEST_DATABASE_URL;
if (!enabled) console.warn('skipping the fault tests (PostgreSQL and Redis): set TEST_DATABASE_URL to run them');

let database: Awaited<ReturnType<typeof createServerDatabase>>;
let db: Db;
let key = '';
const servers: RunningServer[] = [];
const proxies: FaultProxy[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  if (!enabled) return;
  process.on('unhandledRejection', onUnhandled);
  database = await createServerDatabase();
  db = await createDb({ databaseUrl: database?.url });
  await prepareDatabase(db, { sampleData: 'auto' });
  key = (await createApiKey(db, 'faults test', ['write'])).key;
});
afterEach(() => {
  // Whatever failed, nothing was left unhandled (that would end a server process).
  expect(unhandled.map(String)).toEqual([]);
});
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const p of proxies) await p.close();
  await db?.destroy();
  await database?.drop();
  process.off('unhandledRejection', onUnhandled);
}, 60_000);

async function proxyTo(url: string): Promise<FaultProxy> {
  const target = new URL(url);
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 0) });
  proxies.push(proxy);
  return proxy;
}

/** An in-process server; high rate limits, as the Redis counters are shared with other tests. */
async function serve(options: { databaseUrl?: string; redisUrl?: string; env?: Record<string, string> } = {}) {
  const server = await startServer({
    ...loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '1000000', ...options.env }),
    databaseUrl: options.databaseUrl ?? database?.url,
    redisUrl: options.redisUrl,
    port: 0,
  });
  servers.push(server);
  return { server, origin: `http://127.0.0.1:${new URL(server.url).port}` };
}

interface Answer {
  status: number;
  ms: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function gql(origin: string, query: string, variables?: Record<string, unknown>, withKey = false) {
  const started = performance.now();
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(withKey ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Answer['body'];
  return { status: response.status, ms: performance.now() - started, body };
}

const createPaper = (origin: string, title: string) =>
  gql(
    origin,
    'mutation ($t: String!) { createPaper(input: { title: $t, abstract: "Diffusion models for video." }) { __typename } }',
    { t: title },
    true,
  );

async function ready(origin: string) {
  const started = performance.now();
  const response = await fetch(`${origin}/ready`);
  return {
    status: response.status,
    body: (await response.json()) as Record<string, string>,
    ms: performance.now() - started,
  };
}

/** Polls until `check` holds, at most `ms`; returns whether it did. */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A paperAdded subscription over Server-Sent Events; `waitFor` reads until a text arrives. */
async function subscribe(origin: string) {
  const controller = new AbortController();
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: 'subscription { paperAdded { title } }' }),
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  let reading: Promise<boolean> | undefined;
  return {
    async waitFor(expected: string, ms: number): Promise<boolean> {
      const deadline = performance.now() + ms;
      while (!text.includes(expected)) {
        const left = deadline - performance.now();
        if (left <= 0) return false;
        reading ??= reader.read().then(({ value, done }) => {
          reading = undefined;
          if (value) text += new TextDecoder().decode(value);
          return done;
        });
        const done = await Promise.race([reading, new Promise<'wait'>((r) => setTimeout(() => r('wait'), left))]);
        if (done === true) return text.includes(expected);
      }
      return true;
    },
    close: () => controller.abort(),
  };
}

const paperQuery = '{ papers(first: 5) { totalCount nodes { title topics { slug } } } }';

describe.runIf(enabled)('Redis fails', () => {
  it('down: writes still work, /ready says so, and after it returns, events flow between servers again', async () => {
    const redisProxy = await proxyTo(REDIS_URL);
    const { origin: one } = await serve({ redisUrl: redisProxy.via(REDIS_URL) });
    const { origin: two } = await serve({ redisUrl: REDIS_URL });
    expect(await within(5_000, async () => (await ready(one)).body.redis === 'up')).toBe(true);
    // A subscriber on the first server from before the outage: it must be subscribed again after.
    const before = await subscribe(one);
    await new Promise((r) => setTimeout(r, 300));

    await redisProxy.refuse();
    redisProxy.drop();
    await new Promise((r) => setTimeout(r, 300));
    const written = await createPaper(one, 'Written while Redis is down');
    expect(written.body.data).toEqual({ createPaper: { __typename: 'CreatePaperPayload' } });
    const down = await ready(one);
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ status: 'ready', database: 'up', redis: 'down' });
    expect((await gql(one, paperQuery)).body.errors).toBeUndefined();

    await redisProxy.heal();
    expect(await within(5_000, async () => (await ready(one)).body.redis === 'up')).toBe(true);
    // From the first server to a subscriber of the second, and back to the old subscriber.
    const after = await subscribe(two);
    await new Promise((r) => setTimeout(r, 300));
    let sent = 0;
    const reached = await within(10_000, async () => {
      await createPaper(one, `From the first server after the outage ${sent++}`);
      return after.waitFor('From the first server after the outage', 500);
    });
    expect(reached).toBe(true);
    const back = await within(10_000, async () => {
      await createPaper(two, `From the second server after the outage ${sent++}`);
      return before.waitFor('From the second server after the outage', 500);
    });
    expect(back).toBe(true);
    before.close();
    after.close();
  }, 60_000);

  it('stalled from the start: the server serves within seconds without it, and uses it once it answers', async () => {
    const redisProxy = await proxyTo(REDIS_URL);
    redisProxy.freeze();
    const started = performance.now();
    const { origin } = await serve({ redisUrl: redisProxy.via(REDIS_URL) });
    // It waits a moment for Redis (so that no subscription misses an event), then serves without it.
    expect(performance.now() - started).toBeLessThan(8_000);
    const answer = await gql(origin, paperQuery);
    expect(answer.body.errors).toBeUndefined();
    expect((await ready(origin)).body).toMatchObject({ status: 'ready', redis: 'down' });
    await redisProxy.heal();
    expect(await within(10_000, async () => (await ready(origin)).body.redis === 'up')).toBe(true);
  }, 60_000);

  it('frozen (stalled): reads and writes are answered within 2 s each', async () => {
    const redisProxy = await proxyTo(REDIS_URL);
    const { origin } = await serve({ redisUrl: redisProxy.via(REDIS_URL) });
    expect(await within(5_000, async () => (await ready(origin)).body.redis === 'up')).toBe(true);
    redisProxy.freeze();
    try {
      const times: number[] = [];
      const started = performance.now();
      for (let i = 0; i < 20; i++) {
        const answer = await gql(origin, paperQuery);
        expect(answer.status).toBe(200);
        expect(answer.body.errors).toBeUndefined();
        times.push(answer.ms);
      }
      const total = performance.now() - started;
      expect(Math.max(...times)).toBeLessThan(2_000);
      expect(total).toBeLessThan(10_000);
      for (let i = 0; i < 3; i++) {
        const write = await createPaper(origin, `Written while Redis stalls ${i}`);
        expect(write.body.data).toEqual({ createPaper: { __typename: 'CreatePaperPayload' } });
        expect(write.ms).toBeLessThan(2_000);
      }
      // /ready answers too, and says Redis is not answering.
      const stalled = await ready(origin);
      expect(stalled.ms).toBeLessThan(2_000);
      expect(stalled.body).toMatchObject({ status: 'ready', redis: 'down' });
    } finally {
      await redisProxy.heal();
    }
  }, 60_000);
});

describe.runIf(enabled)('PostgreSQL fails', () => {
  it('frozen: a request answers 503 within 10 s, /health meanwhile within 1 s, and it serves again after', async () => {
    const pgProxy = await proxyTo(database?.url ?? '');
    const { origin } = await serve({
      databaseUrl: pgProxy.via(database?.url ?? ''),
      env: { STATEMENT_TIMEOUT_MS: '2000', REQUEST_TIMEOUT_MS: '5000' },
    });
    expect((await gql(origin, paperQuery)).body.errors).toBeUndefined();

    pgProxy.freeze();
    const stuck = gql(origin, paperQuery);
    await new Promise((r) => setTimeout(r, 500));
    const healthStarted = performance.now();
    const health = await fetch(`${origin}/health`);
    expect(health.status).toBe(200);
    expect(performance.now() - healthStarted).toBeLessThan(1_000);
    const answer = await stuck;
    expect(answer.status).toBe(503);
    expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(answer.ms).toBeLessThan(10_000);

    await pgProxy.heal();
    const healed = performance.now();
    const serving = await within(15_000, async () => {
      const again = await gql(origin, paperQuery);
      return again.status === 200 && !again.body.errors;
    });
    expect(serving).toBe(true);
    expect(performance.now() - healed).toBeLessThan(15_000);
  }, 60_000);

  it('connections dropped under load: errors are SERVICE_UNAVAILABLE, never INTERNAL_SERVER_ERROR', async () => {
    const pgProxy = await proxyTo(database?.url ?? '');
    const { origin } = await serve({
      databaseUrl: pgProxy.via(database?.url ?? ''),
      env: { STATEMENT_TIMEOUT_MS: '2000', REQUEST_TIMEOUT_MS: '5000' },
    });
    expect((await gql(origin, paperQuery)).body.errors).toBeUndefined();
    const outcomes: { status: number; codes: (string | undefined)[]; data?: Record<string, unknown> | null }[] = [];
    let stop = false;
    // Two readers and two writers (a write is a transaction: several statements on one connection).
    let written = 0;
    const workers = Array.from({ length: 4 }, async (_, worker) => {
      while (!stop) {
        const answer =
          worker % 2 === 0
            ? await gql(
                origin,
                '{ papers(first: 30) { nodes { title organization { name } topics { slug papers(first: 3) { totalCount } } } } }',
              )
            : await createPaper(origin, `Written while connections drop ${written++}`);
        outcomes.push({
          status: answer.status,
          codes: (answer.body.errors ?? []).map((e) => e.extensions?.code),
          data: answer.body.data,
        });
      }
    });
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 150));
      pgProxy.drop();
    }
    stop = true;
    await Promise.all(workers);

    const failed = outcomes.filter((o) => o.codes.length > 0);
    // A write either commits or fails as an outage: it is never a payload of another kind.
    const payloads = outcomes.flatMap((o) => (o.data?.createPaper ? [o.data.createPaper] : []));
    expect(written).toBeGreaterThan(0);
    expect(payloads.filter((p) => (p as { __typename?: string }).__typename !== 'CreatePaperPayload')).toEqual([]);
    // Connections were cut under running queries: some requests failed, each as an outage.
    expect(failed.length).toBeGreaterThan(0);
    expect([...new Set(failed.flatMap((o) => o.codes))]).toEqual(['SERVICE_UNAVAILABLE']);
    expect([...new Set(failed.map((o) => o.status))]).toEqual([503]);
    // And the next request is served.
    expect(await within(5_000, async () => !(await gql(origin, paperQuery)).body.errors)).toBe(true);
  }, 60_000);
});
