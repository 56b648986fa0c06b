// Hostile and careless clients against a real server on the embedded database, over real
// sockets: malformed input is the client's 400 (never a 500, never a stack trace or a path),
// rate limits hold on every transport and against made-up keys, a bad WebSocket operation
// fails alone, and shutting down finishes what was started.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKey } from '../../src/auth.ts';
import { loadConfig } from '../../src/config.ts';
import { createDb } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'papergraph-hostile-http-'));
const dataDir = path.join(root, 'main');
const config = (dir: string, env: Record<string, string> = {}) => ({
  ...loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000', ...env }),
  dataDir: dir,
  port: 0,
});
let server: RunningServer;
let origin = '';
let key = '';
const started: RunningServer[] = [];

beforeAll(async () => {
  const db = await createDb({ dataDir });
  await prepareDatabase(db, { sampleData: 'auto' });
  key = (await createApiKey(db, 'hostile http test', ['write'])).key;
  await db.destroy();
  // Copies of the prepared folder for the servers of single tests (one process per folder).
  cpSync(dataDir, path.join(root, 'limited'), { recursive: true });
  cpSync(dataDir, path.join(root, 'shutdown'), { recursive: true });
  server = await startServer(config(dataDir));
  started.push(server);
  origin = originOf(server);
}, 120_000);
afterAll(async () => {
  for (const s of started) await s.close();
  rmSync(root, { recursive: true, force: true });
});

/** The server's origin on 127.0.0.1 (where it listens), whatever name its URL gives. */
const originOf = (s: RunningServer) => `http://127.0.0.1:${new URL(s.url).port}`;

/** What no response may hold: a stack trace, a file path, or the internals of an error. */
const LEAKS = /\/work\/|\/tmp\/|node_modules|\n\s+at |\bat [\w.<>]+ \(|"stack"|originalError|\.ts:\d+/;
/** Every response and WebSocket message of this file that leaked; each test checks it is still empty. */
const leaks: string[] = [];
afterEach(() => {
  expect(leaks.splice(0)).toEqual([]);
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = GraphQLBody>(): T;
}
interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** One request over node:http (optionally from another local address), checked for leaks. */
function send(
  target: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    localAddress?: string;
    agent?: Agent;
    /** Called once the whole request has been handed to the operating system. */
    onSent?: () => void;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      target,
      {
        method: options.method ?? 'GET',
        headers: {
          ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
          ...options.headers,
        },
        localAddress: options.localAddress,
        agent: options.agent,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          leaks.push(...(LEAKS.test(text) ? [text] : []));
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('finish', () => options.onSent?.());
    req.end(options.body);
  });
}

const post = (target: string, body: unknown, headers: Record<string, string> = {}, localAddress?: string) =>
  send(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    localAddress,
  });

/** graphql-ws needs a WebSocket class; this one can leave from another local address, and counts its sockets. */
function socketClass(localAddress?: string) {
  const sockets: WebSocket[] = [];
  class Socket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, localAddress ? { localAddress } : {});
      sockets.push(this);
      this.on('message', (data) => leaks.push(...(LEAKS.test(String(data)) ? [String(data)] : [])));
    }
  }
  return { Socket, sockets };
}

interface WsResult {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  /** Set when the operation failed with an `error` message (or the socket closed). */
  failed?: unknown;
}

/** Runs one operation to its end: its results, or how it failed. */
function runOperation(client: Client, query: string, variables?: Record<string, unknown>): Promise<WsResult[]> {
  return new Promise((resolve) => {
    const results: WsResult[] = [];
    client.subscribe(
      { query, variables },
      {
        next: (value) => results.push(value as WsResult),
        error: (failure) => resolve([...results, { failed: failure }]),
        complete: () => resolve(results),
      },
    );
  });
}

const errorCodes = (failure: unknown) =>
  Array.isArray(failure) ? failure.map((e: { extensions?: { code?: string } }) => e.extensions?.code) : failure;

describe('malformed requests are the client’s 400, without details', () => {
  it('GET /feeds/search?q=%00 answers 400', async () => {
    const answer = await send(`${origin}/feeds/search?q=%00`);
    expect(answer.status).toBe(400);
    // The feed of an ordinary search still works.
    expect((await send(`${origin}/feeds/search?q=diffusion`)).status).toBe(200);
  });

  it('a truncated JSON body answers 400, and does not echo the body', async () => {
    const body = '{"query": "{ __typename }"';
    // 400 whatever the client accepts: Yoga alone answers 200 to the legacy application/json.
    for (const accept of ['application/json', '*/*']) {
      expect((await post(`${origin}/graphql`, body, { accept })).status, accept).toBe(400);
    }
    const answer = await post(`${origin}/graphql`, body);
    expect(answer.status).toBe(400);
    expect(answer.text).not.toContain('__typename');
    const parsed = answer.json();
    expect(parsed.errors?.length).toBeGreaterThan(0);
    for (const error of parsed.errors ?? []) expect(error.extensions?.originalError).toBeUndefined();
  });

  it('GET with `variables` or `extensions` that are not JSON objects answers 400 BAD_REQUEST', async () => {
    const headers = { 'x-graphql-yoga-csrf': '1', accept: 'application/graphql-response+json' };
    for (const bad of ['variables={bad', 'extensions=[1]']) {
      const answer = await send(`${origin}/graphql?query=${encodeURIComponent('{__typename}')}&${bad}`, { headers });
      expect(answer.status).toBe(400);
      expect(answer.json().errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    }
    const good = await send(`${origin}/graphql?query=${encodeURIComponent('{__typename}')}&variables={}`, { headers });
    expect(good.status).toBe(200);
    expect(good.json().data).toEqual({ __typename: 'Query' });
  });

  it('a NUL in topic(slug:) is BAD_USER_INPUT, with no error details', async () => {
    for (const request of [
      { query: 'query ($s: String!) { topic(slug: $s) { name } }', variables: { s: 'video\u0000' } },
      { query: '{ topic(slug: "video\\u0000") { name } }' },
    ]) {
      const answer = await post(`${origin}/graphql`, request);
      const body = answer.json();
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      for (const error of body.errors ?? []) {
        expect(Object.keys(error.extensions ?? {}).filter((k) => k !== 'code' && k !== 'argument')).toEqual([]);
        expect(error.message).not.toMatch(/sql|byte sequence|postgres|pglite/i);
      }
    }
  });
});

describe('rate limits (RATE_LIMIT_PER_MINUTE=30)', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startServer(config(path.join(root, 'limited'), { RATE_LIMIT_PER_MINUTE: '30' }));
    started.push(limited);
  }, 60_000);

  it('count requests with made-up keys against the client, not against each key', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const answer = await post(
        `${originOf(limited)}/graphql`,
        { query: '{ __typename }' },
        { authorization: `Bearer fake-${i}` },
        '127.0.0.3',
      );
      statuses.push(answer.status);
      if (i >= 30) expect(answer.json().errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    }
    // Each fake key is refused (401) until the client's budget is spent, then 429.
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual(Array(10).fill(429));
  });

  it('count WebSocket operations too; past the limit they fail alone and the socket stays open', async () => {
    const { Socket, sockets } = socketClass('127.0.0.2');
    let connected = 0;
    const closes: number[] = [];
    const client = createClient({
      url: `ws://127.0.0.1:${new URL(limited.url).port}/graphql`,
      webSocketImpl: Socket,
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => connected++,
        closed: (event) => closes.push((event as { code: number }).code),
      },
    });
    try {
      const outcomes: unknown[] = [];
      for (let i = 0; i < 40; i++) {
        const [result] = await runOperation(client, '{ __typename }');
        outcomes.push(result?.failed ? errorCodes(result.failed) : result?.data);
      }
      expect(outcomes.slice(0, 30)).toEqual(Array(30).fill({ __typename: 'Query' }));
      expect(outcomes.slice(30)).toEqual(Array(10).fill(['RATE_LIMITED']));
      // A subscription on the same socket is answered (with the same error), not cut.
      const [subscription] = await runOperation(client, 'subscription { paperAdded { title } }');
      expect(errorCodes(subscription?.failed)).toEqual(['RATE_LIMITED']);
      expect(connected).toBe(1);
      expect(closes).toEqual([]);
      expect(sockets).toHaveLength(1);
      expect(sockets[0]?.readyState).toBe(WebSocket.OPEN);
    } finally {
      await client.dispose();
    }
  });
});

describe('GraphQL over WebSocket', () => {
  it('a bad operation gets an error for itself only: the subscription beside it keeps its events', async () => {
    const { Socket, sockets } = socketClass();
    let connected = 0;
    const closes: number[] = [];
    const client = createClient({
      url: `ws://127.0.0.1:${new URL(server.url).port}/graphql`,
      webSocketImpl: Socket,
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => connected++,
        closed: (event) => closes.push((event as { code: number }).code),
      },
    });
    try {
      const titles: string[] = [];
      let failure: unknown;
      const arrived = new Promise<void>((resolve) => {
        client.subscribe<{ paperAdded: { title: string } }>(
          { query: 'subscription { paperAdded { title } }' },
          {
            next: (message) => {
              titles.push(message.data?.paperAdded.title ?? '');
              if (titles.includes('Arrives after the bad operations')) resolve();
            },
            error: (error) => {
              failure = error;
              resolve();
            },
            complete: () => resolve(),
          },
        );
      });
      await new Promise((r) => setTimeout(r, 300)); // the subscription starts

      const syntax = await runOperation(client, '{ papers(first: 1) { totalCount }');
      expect(errorCodes(syntax.at(-1)?.failed)).toEqual(['GRAPHQL_PARSE_FAILED']);

      const deep = `{ ${'topics { children { '.repeat(10)} slug ${'} } '.repeat(10)} }`;
      const tooDeep = await runOperation(client, deep);
      expect(errorCodes(tooDeep.at(-1)?.failed)).toEqual(['QUERY_LIMIT_EXCEEDED']);

      // No key on this connection: the mutation is refused for itself (as over HTTP: ForbiddenError).
      const anonymous = await runOperation(
        client,
        'mutation { createPaper(input: { title: "Written without a key" }) { __typename } }',
      );
      const refusal = anonymous.at(-1);
      const refused = refusal?.failed
        ? errorCodes(refusal.failed)
        : (refusal?.data as { createPaper?: { __typename?: string } } | undefined)?.createPaper?.__typename;
      expect(refused === 'ForbiddenError' || (Array.isArray(refused) && refused.length > 0)).toBe(true);

      const created = await post(
        `${origin}/graphql`,
        { query: 'mutation { createPaper(input: { title: "Arrives after the bad operations" }) { __typename } }' },
        { authorization: `Bearer ${key}` },
      );
      expect(created.json().data).toEqual({ createPaper: { __typename: 'CreatePaperPayload' } });
      await Promise.race([arrived, new Promise((r) => setTimeout(r, 10_000))]);
      expect(failure).toBeUndefined();
      expect(titles).toContain('Arrives after the bad operations');
      expect(titles).not.toContain('Written without a key');
      expect(connected).toBe(1);
      expect(closes).toEqual([]);
      expect(sockets[0]?.readyState).toBe(WebSocket.OPEN);
    } finally {
      await client.dispose();
    }
  });

  it('a connection whose parameters carry a wrong key is closed with 4403', async () => {
    const { Socket } = socketClass();
    const closes: number[] = [];
    const client = createClient({
      url: `ws://127.0.0.1:${new URL(server.url).port}/graphql`,
      webSocketImpl: Socket,
      connectionParams: { authorization: 'Bearer pg_not_a_real_key_0123456789' },
      retryAttempts: 0,
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    try {
      const [result] = await runOperation(client, '{ __typename }');
      expect((result?.failed as { code?: number } | undefined)?.code).toBe(4403);
      expect(closes).toEqual([4403]);
    } finally {
      await client.dispose();
    }
  });
});

describe('readiness', () => {
  it('/ready says the database is up, /health that the process lives', async () => {
    const ready = await send(`${origin}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', database: 'up' });
    const health = await send(`${origin}/health`);
    expect(health.status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  it('finishes every request in flight, closes kept-alive connections, and completes subscriptions', async () => {
    const closing = await startServer(config(path.join(root, 'shutdown')));
    started.push(closing);
    const base = originOf(closing);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const graphql = (query: string, onSent?: () => void) =>
      send(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query }),
        agent,
        onSent,
      });
    // Eight kept-alive connections, opened and idle.
    const warm = await Promise.all(Array.from({ length: 8 }, () => graphql('{ __typename }')));
    expect(warm.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(8);

    // An SSE subscription, open when the shutdown starts.
    const sse = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { paperAdded { title } }' }),
    });
    expect(sse.status).toBe(200);
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
    const streamed = (async () => {
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return text;
        text += new TextDecoder().decode(value);
      }
    })();

    // Slow-ish requests on every connection. The embedded database answers one query at a
    // time, so the server works through them in turn: the shutdown starts as soon as it has
    // begun the first, when the client has sent all of them.
    const slow = '{ papers(first: 100) { nodes { title topics { papers(first: 20) { nodes { title } } } } } }';
    const sentAt: number[] = [];
    let closeStarted = Number.POSITIVE_INFINITY;
    /** Request ids of the responses already begun when the shutdown started. */
    const begun = new Set<string>();
    const arrived: ServerResponse[] = [];
    let closed: Promise<void> | undefined;
    closing.server.on('request', (_req, res: ServerResponse) => {
      arrived.push(res);
      if (closed) return;
      for (const r of arrived) if (r.headersSent) begun.add(String(r.getHeader('x-request-id')));
      closeStarted = performance.now();
      closed = closing.close();
    });
    const inFlight = Array.from({ length: 8 }, (_, i) =>
      graphql(slow, () => {
        sentAt[i] = performance.now();
      }).then(
        (answer) => ({ i, answer }),
        (error: Error) => ({ i, error: error.message }),
      ),
    );
    const outcomes = await Promise.all(inFlight);
    expect(closed).toBeDefined();

    // Every request sent before the shutdown started is answered, 200, with its data.
    const sentBefore = outcomes.filter((o) => (sentAt[o.i] ?? Number.POSITIVE_INFINITY) < closeStarted);
    expect(sentBefore.length).toBeGreaterThanOrEqual(2);
    expect(sentBefore.filter((o) => 'error' in o)).toEqual([]);
    const answers = sentBefore.flatMap((o) => ('answer' in o ? [o.answer] : []));
    expect(answers.map((a) => a.status)).toEqual(Array(sentBefore.length).fill(200));
    for (const answer of answers) expect(answer.json().data).toMatchObject({ papers: { nodes: expect.any(Array) } });
    // Every response begun after the shutdown started closes its connection.
    const late = answers.filter((a) => !begun.has(String(a.headers['x-request-id'])));
    expect(late.length).toBeGreaterThan(0);
    for (const answer of late) expect(answer.headers.connection).toBe('close');

    const text = await Promise.race([
      streamed,
      new Promise<string>((r) => setTimeout(() => r('(still open)'), 15_000)),
    ]);
    expect(text).toContain('event: complete');
    await expect(
      Promise.race([
        (closed as Promise<void>).then(() => 'closed'),
        new Promise((r) => setTimeout(() => r('still closing'), 25_000)),
      ]),
    ).resolves.toBe('closed');
    agent.destroy();
  }, 60_000);
});
