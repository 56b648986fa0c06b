import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/plugins/limits.ts';
import { COST_LIMITS } from '../../src/plugins/query-cost.ts';
import { createRateLimiter } from '../../src/plugins/rate-limit.ts';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { loadSample } from '../helpers/fixtures.ts';

let t: TestDb;
let app: App;

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

async function post(body: unknown, target: App = app, headers: Record<string, string> = {}) {
  const response = await target.fetch('http://papergraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text) as {
      data?: unknown;
      errors?: { message: string; extensions?: { code?: string } }[];
      extensions?: Record<string, unknown>;
    },
  };
}

/** An attack must get a clear client error, and the next ordinary query must still work. */
async function rejected(query: string, message: RegExp, variables?: Record<string, unknown>) {
  const result = await post({ query, variables });
  expect(result.status).toBeGreaterThanOrEqual(400);
  expect(result.status).toBeLessThan(500);
  expect(result.body.errors?.[0]?.message).toMatch(message);
  expect(JSON.stringify(result.body)).not.toMatch(/stack|node_modules/);
  const ordinary = await post({ query: '{ papers(first: 1) { totalCount } }' });
  expect(ordinary.body.data).toEqual({ papers: { totalCount: 47 } });
}

describe('query limits', () => {
  it(`depth over ${LIMITS.maxDepth}, introspection included`, async () => {
    const deep = `{ __schema { types { fields { type ${'{ ofType '.repeat(20)}{ name }${' }'.repeat(20)} } } } }`;
    await rejected(deep, /depth/i);
  });

  it(`more than ${LIMITS.maxAliases} aliases`, async () => {
    await rejected(`{ ${Array.from({ length: 100 }, (_, i) => `a${i}: __typename`).join(' ')} }`, /aliases/i);
  });

  it(`more than ${LIMITS.maxDirectives} directives`, async () => {
    await rejected(`{ __typename ${'@include(if: true) '.repeat(60)} }`, /directives/i);
  });

  it(`more than ${LIMITS.maxTokens} tokens`, async () => {
    await rejected(`{ ${'__typename '.repeat(6000)} }`, /token/i);
  });

  it('nesting deep enough to overflow the parser', async () => {
    await rejected(`{${'a{'.repeat(20000)}b${'}'.repeat(20001)}`, /nested more than/);
  });

  it(`more than ${COST_LIMITS.maxNodes} requested nodes, counted with page sizes (also through variables)`, async () => {
    const query =
      'query ($n: Int) { papers(first: 100) { nodes { topics { papers(first: $n) { nodes { organization { papers(first: 100) { totalCount } } } } } } } }';
    const result = await post({ query, variables: { n: 100 } });
    // Every object counts: the connection, its 100 papers, their topics (at most 4 each), one
    // connection per topic with n papers, each paper's organization and its connection.
    const papers = 100;
    const topics = papers * 4;
    const nested = topics * 100;
    const expected = 1 + papers + topics + topics + nested * 3;
    expect(result.body.errors?.[0]).toMatchObject({
      extensions: { code: 'QUERY_TOO_COSTLY' },
      message: expect.stringContaining(`${expected} nodes; the limit is ${COST_LIMITS.maxNodes}`),
    });
    expect((await post({ query, variables: { n: 2 } })).body.errors).toBeUndefined();
  });

  it('reports the requested nodes of every query in extensions.cost', async () => {
    const result = await post({
      query: '{ papers(first: 10) { nodes { topics { papers(first: 5) { totalCount } } } } }',
    });
    // The connection, 10 papers, at most 4 topics each, a connection per topic.
    expect(result.body.extensions?.cost).toEqual({ requestedNodes: 1 + 10 + 40 + 40, maxNodes: COST_LIMITS.maxNodes });
  });

  it('no field suggestions that would leak the schema', async () => {
    const result = await post({ query: '{ autho { name } }' });
    expect(result.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it('batched requests are refused', async () => {
    const result = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(result.status).toBe(400);
  });

  it('a simple cross-site form POST is refused (CSRF)', async () => {
    const response = await app.fetch('http://papergraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7B__typename%7D',
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});

describe('rate limiting', () => {
  it('answers 429 with RateLimit headers past the limit, per client', async () => {
    const limited = await createApp({ db: t.db, rateLimit: createRateLimiter({ perMinute: 3 }) });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ok = await post({ query: '{ __typename }' }, limited);
      expect(ok.status).toBe(200);
      remaining.push(ok.headers.get('ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await post({ query: '{ __typename }' }, limited);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(over.headers.get('ratelimit-limit')).toBe('3');
    expect(over.body.errors?.[0]).toMatchObject({
      extensions: { code: 'RATE_LIMITED' },
      message: expect.stringMatching(/Rate limit exceeded: 3 operations a minute/),
    });
  });
});
