import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKey } from '../src/auth.ts';
import { loadConfig } from '../src/config.ts';
import { createDb } from '../src/db/database.ts';
import { type RunningServer, startServer } from '../src/server.ts';

// The HTTP layer in front of GraphQL, on a real socket: limits, health, subscriptions, shutdown.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'papergraph-http-'));
const config = { ...loadConfig({ LOG_LEVEL: 'silent', MAX_BODY_BYTES: '10000' }), dataDir, port: 0 };
let server: RunningServer;
let key = '';
let origin = '';

beforeAll(async () => {
  // Create the key through the embedded database first; the server then opens the same folder.
  const db = await createDb({ dataDir });
  const { prepareDatabase } = await import('../src/db/prepare.ts');
  await prepareDatabase(db, { sampleData: 'auto' });
  key = (await createApiKey(db, 'http test', ['write'])).key;
  await db.destroy();
  server = await startServer(config);
  origin = new URL(server.url).origin;
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function gql(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${key}`,
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
}

async function createPaper(title: string) {
  const response = await gql(
    'mutation ($t: String!) { createPaper(input: { title: $t, abstract: "Diffusion models for video generation." }) { ... on CreatePaperPayload { paper { id } } } }',
    { t: title },
  );
  const body = (await response.json()) as { data: { createPaper: { paper: { id: string } } } };
  return body.data.createPaper.paper.id;
}

describe('HTTP', () => {
  it('/health answers while the process lives, /ready when the database does', async () => {
    // Yoga's own health check: 200 and no body.
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    const ready = await fetch(`${origin}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'up' });
  });

  it('gives every response a request id', async () => {
    const response = await gql('{ __typename }');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a body over MAX_BODY_BYTES with 413, and then serves the next request', async () => {
    const response = await gql('{ __typename }', { pad: 'x'.repeat(20_000) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    expect((await gql('{ __typename }')).status).toBe(200);
  });

  it('refuses a POST without Content-Length (a chunked body could be of any size) with 411', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${origin}/graphql`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ query: '{ __typename }' }));
    });
    expect(status).toBe(411);
  });
});

describe('subscriptions', () => {
  it('paperAdded over WebSocket (graphql-ws), filtered by topic', async () => {
    const client = createClient({
      url: server.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
    });
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe<{ paperAdded: { title: string } }>(
        { query: 'subscription { paperAdded(topics: ["vision"]) { title } }' },
        {
          next: (message) => {
            events.push(message.data?.paperAdded.title ?? '');
            resolve();
          },
          error: reject,
          complete: () => {},
        },
      );
    });
    await new Promise((r) => setTimeout(r, 300)); // let the subscription start
    await gql(
      'mutation { createPaper(input: { title: "Tax law for small firms", abstract: "Accounting rules." }) { __typename } }',
    );
    await createPaper('A video diffusion model');
    await done;
    await client.dispose();
    expect(events).toEqual(['A video diffusion model']);
  });

  it('paperUpvoted over Server-Sent Events', async () => {
    const id = await createPaper('A paper people like');
    const controller = new AbortController();
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: 'subscription ($id: ID!) { paperUpvoted(id: $id) { upvotes } }',
        variables: { id },
      }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    setTimeout(() => void gql('mutation ($id: ID!) { upvotePaper(input: { id: $id }) { __typename } }', { id }), 300);
    let text = '';
    while (!text.includes('"upvotes"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('{"data":{"paperUpvoted":{"upvotes":1}}}');
  });
});
