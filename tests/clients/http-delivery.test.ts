// What client apps get over HTTP: Cache-Control, ETags and 304 for public GET reads, the
// response cache and its invalidation, and @defer over multipart HTTP and Server-Sent Events.
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { persistedDocuments } from '../../src/plugins/persisted-documents.ts';
import { createMemoryCache, createRedisCache } from '../../src/plugins/response-cache.ts';
import { encodeGlobalId } from '../../src/schema/global-id.ts';
import { type App, createApp, servedSchema } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { loadSample } from '../helpers/fixtures.ts';

const PAPER = 'query Paper($id: ID!) { paper(id: $id) { id title topics { slug } } }';
const VOTES = 'query Votes($id: ID!) { paper(id: $id) { id title upvotes } }';
const LIST =
  'query Top { papers(first: 50, orderBy: { field: UPVOTES, direction: DESC }) { nodes { id title upvotes } pageInfo { endCursor } } }';
const UPVOTE = 'mutation Up($id: ID!) { upvotePaper(input: { id: $id }) { __typename } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let t: TestDb;
let plain: App;
let key = '';
/** Another writer: each key upvotes a paper once. */
let voter = '';
let paperId = '';
let otherId = '';
const CSRF = { 'x-graphql-yoga-csrf': '1' };

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  key = (await createApiKey(t.db, 'writer', ['write'])).key;
  voter = (await createApiKey(t.db, 'voter', ['write'])).key;
  const [first, second] = await t.db.selectFrom('papers').select('id').orderBy('id').limit(2).execute();
  paperId = encodeGlobalId('Paper', first?.id ?? 0);
  otherId = encodeGlobalId('Paper', second?.id ?? 0);
  plain = await createApp({
    db: t.db,
    persistedDocuments: persistedDocuments({ [sha256(PAPER)]: PAPER }, servedSchema),
  });
});
afterAll(() => t.destroy());

function get(app: App, params: Record<string, unknown>, headers: Record<string, string> = {}) {
  const search = new URLSearchParams(
    Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  return app.fetch(`http://papergraph.test/graphql?${search}`, {
    headers: { accept: 'application/graphql-response+json', ...CSRF, ...headers },
  });
}

function post(app: App, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return app.fetch('http://papergraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('HTTP caching of public reads', () => {
  it('gives a public GET Cache-Control from the fields it selects, an ETag, and 304 for If-None-Match', async () => {
    const first = await get(plain, { query: PAPER, variables: { id: paperId } });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=300');
    expect(first.headers.get('vary')).toBe('Accept, Authorization');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);
    const body = await first.text();
    expect(JSON.parse(body).data.paper.topics.length).toBeGreaterThan(0);

    const again = await get(plain, { query: PAPER, variables: { id: paperId } }, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe('public, max-age=300');

    // The same document by id: the same answer, the same tag.
    const byId = await get(plain, { documentId: `sha256:${sha256(PAPER)}`, variables: { id: paperId } });
    expect(byId.headers.get('etag')).toBe(etag);
    // Other variables, another answer.
    const other = await get(plain, { query: PAPER, variables: { id: otherId } });
    expect(other.headers.get('etag')).not.toBe(etag);
  });

  it('takes the shortest time of what is selected: upvotes and lists are fresh for 60 s', async () => {
    expect((await get(plain, { query: VOTES, variables: { id: paperId } })).headers.get('cache-control')).toBe(
      'public, max-age=60',
    );
    expect((await get(plain, { query: LIST })).headers.get('cache-control')).toBe('public, max-age=60');
  });

  it('never lets a POST, a key, a mutation, an error or an undeclared field be stored', async () => {
    const cases: [string, Response, string][] = [
      ['POST', await post(plain, { query: PAPER, variables: { id: paperId } }), 'no-store'],
      [
        'key',
        await get(plain, { query: PAPER, variables: { id: paperId } }, { authorization: `Bearer ${key}` }),
        'private, no-store',
      ],
      ['error', await get(plain, { query: PAPER, variables: { id: encodeGlobalId('Paper', 999_999) } }), 'no-store'],
      ['undeclared', await get(plain, { query: '{ syncStatus { lastCompletedDay } }' }), 'no-store'],
      ['only __typename', await get(plain, { query: '{ __typename }' }), 'no-store'],
      ['mutation by GET', await get(plain, { query: 'mutation { __typename }' }), 'no-store'],
      [
        'mutation',
        await post(plain, { query: UPVOTE, variables: { id: 'UGFwZXI6MQ' } }, { authorization: `Bearer ${key}` }),
        'private, no-store',
      ],
    ];
    for (const [what, response, expected] of cases) {
      expect([what, response.headers.get('cache-control'), response.headers.get('etag')]).toEqual([
        what,
        expected,
        null,
      ]);
    }
  });
});

/** A memory cache that counts what it served. */
function counting() {
  const cache = createMemoryCache();
  const stats = { hits: 0, misses: 0, ttls: [] as number[] };
  return {
    stats,
    cache: {
      async get(id: string) {
        const found = await cache.get(id);
        if (found) stats.hits++;
        else stats.misses++;
        return found;
      },
      set(...args: Parameters<typeof cache.set>) {
        stats.ttls.push(args[3]);
        return cache.set(...args);
      },
      invalidate: (entities: Parameters<typeof cache.invalidate>[0]) => cache.invalidate(entities),
    },
  };
}

async function upvotes(app: App, headers: Record<string, string> = {}): Promise<{ id: string; upvotes: number }> {
  const response = await post(app, { query: VOTES, variables: { id: paperId } }, headers);
  return ((await response.json()) as { data: { paper: { id: string; upvotes: number } } }).data.paper;
}

describe('the response cache', () => {
  it('serves public reads again, for their declared time, and shows a client its own write at once', async () => {
    const { cache, stats } = counting();
    const app = await createApp({ db: t.db, responseCache: cache });
    const before = await upvotes(app);
    expect(await upvotes(app)).toEqual(before);
    expect(stats.hits).toBe(1);
    expect(stats.ttls).toEqual([60_000]);
    await post(app, { query: LIST });
    await post(app, { query: PAPER, variables: { id: paperId } });
    expect(stats.ttls).toEqual([60_000, 60_000, 300_000]);

    // The upvote selects nothing of the paper: it is invalidated by the id it names.
    const vote = await post(app, { query: UPVOTE, variables: { id: before.id } }, { authorization: `Bearer ${voter}` });
    expect(((await vote.json()) as { data: { upvotePaper: { __typename: string } } }).data.upvotePaper.__typename).toBe(
      'UpvotePaperPayload',
    );
    expect(await upvotes(app)).toEqual({ ...before, upvotes: before.upvotes + 1 });
    // The list that held the paper went too.
    const hits = stats.hits;
    await post(app, { query: LIST });
    expect(stats.hits).toBe(hits);
  });

  it('keeps keyed requests out of it, and tells HTTP caches how old a stored answer is', async () => {
    const { cache, stats } = counting();
    const app = await createApp({ db: t.db, responseCache: cache });
    await upvotes(app);
    const afterPublic = structuredClone(stats);
    await upvotes(app, { authorization: `Bearer ${key}` });
    expect(stats).toEqual(afterPublic);
    const hit = await get(app, { query: PAPER, variables: { id: paperId } });
    expect(hit.headers.get('cache-control')).toBe('public, max-age=300');
    const stored = await get(
      app,
      { query: PAPER, variables: { id: paperId } },
      { 'if-none-match': hit.headers.get('etag') ?? '' },
    );
    expect(stored.status).toBe(304);
    expect(stats.hits).toBe(1);
  });

  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  it('works the same in Redis, shared by processes', async () => {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000 });
    try {
      await redis.connect();
    } catch {
      if (process.env.CI) throw new Error(`CI needs Redis at ${redisUrl}`);
      return;
    }
    const prefix = `papergraph-rc-test-${randomBytes(4).toString('hex')}:`;
    try {
      const cache = createRedisCache(redis, { prefix });
      const one = await createApp({ db: t.db, responseCache: cache });
      const two = await createApp({ db: t.db, responseCache: cache });
      const before = await upvotes(one);
      expect(await redis.pttl(`${prefix}e:Paper:${before.id}`)).toBeGreaterThan(50_000);
      expect(await upvotes(two)).toEqual(before);
      await post(
        one,
        {
          query: 'mutation Down($id: ID!) { removeUpvote(input: { id: $id }) { __typename } }',
          variables: { id: before.id },
        },
        { authorization: `Bearer ${key}` },
      );
      expect(await upvotes(two)).toEqual({ ...before, upvotes: before.upvotes - 1 });
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });
});

const DELAY_MS = 1_500;

/** Holds the similar-papers statement back, so that the deferred part is known to come late. */
function slowSimilarPapers(): KyselyPlugin {
  const slow = new WeakSet<object>();
  return {
    transformQuery({ node, queryId }): RootOperationNode {
      if (node.kind === 'RawNode' && node.sqlFragments.join('').includes('candidates as')) slow.add(queryId);
      return node;
    },
    async transformResult({ result, queryId }) {
      if (slow.has(queryId)) await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
      return result;
    },
  };
}

const PAGE = /* GraphQL */ `
  query PaperPage($id: ID!) {
    paper(id: $id) {
      title
      upvotes
      ... @defer(label: "more") {
        similar(first: 3) { title }
        topics { slug }
      }
    }
    ... @defer(label: "facets") {
      papers { facets { years { year count } } }
    }
  }
`;

/** The parts of a streamed answer, each with the time it arrived (ms after the request). */
async function parts(response: Response, split: (text: string) => string[]) {
  const started = performance.now();
  const arrived: { at: number; part: Record<string, unknown> }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const pieces = split(buffer);
    buffer = pieces.pop() ?? '';
    for (const piece of pieces) {
      const json = piece.slice(piece.indexOf('{'), piece.lastIndexOf('}') + 1);
      if (json) arrived.push({ at: performance.now() - started, part: JSON.parse(json) });
    }
  }
  return arrived;
}

describe('incremental delivery (@defer)', () => {
  let app: App;
  beforeAll(async () => {
    app = await createApp({ db: t.db.withPlugin(slowSimilarPapers()) });
  });

  const check = (arrived: { at: number; part: Record<string, unknown> }[]) => {
    const [first, ...rest] = arrived;
    const paper = (first?.part.data as { paper: Record<string, unknown> } | undefined)?.paper ?? {};
    expect(Object.keys(paper).sort()).toEqual(['title', 'upvotes']);
    expect(first?.part.hasNext).toBe(true);
    // The first part did not wait for the slow statement; the deferred one did.
    expect(first?.at).toBeLessThan(DELAY_MS);
    const last = rest.at(-1);
    expect(last?.part.hasNext).toBe(false);
    expect(last?.at).toBeGreaterThanOrEqual(DELAY_MS - 50);
    const incremental = rest.flatMap(
      (r) => (r.part.incremental as { label: string; data: Record<string, unknown> }[]) ?? [],
    );
    const more = incremental.find((i) => i.label === 'more')?.data;
    expect((more?.similar as unknown[] | undefined)?.length).toBeGreaterThan(0);
    expect((more?.topics as unknown[] | undefined)?.length).toBeGreaterThan(0);
    expect(incremental.find((i) => i.label === 'facets')?.data).toHaveProperty('papers.facets.years');
  };

  it('sends the paper first and the deferred parts as they are ready, over multipart HTTP', async () => {
    const response = await post(app, { query: PAGE, variables: { id: paperId } }, { accept: 'multipart/mixed' });
    expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    check(await parts(response, (text) => text.split(/\r\n---/)));
  });

  it('gives the query cost budget back when the last part is sent', async () => {
    // Room for one such request at a time: were the budget kept after a stream, the next would wait and fail.
    const tight = await createApp({ db: t.db, costLimits: { maxNodesInFlight: 100, maxWaitMs: 3_000 } });
    for (let i = 0; i < 3; i++) {
      const response = await post(tight, { query: PAGE, variables: { id: paperId } }, { accept: 'multipart/mixed' });
      const arrived = await parts(response, (text) => text.split(/\r\n---/));
      expect(arrived.at(-1)?.part.hasNext).toBe(false);
    }
  });

  it('and over Server-Sent Events', async () => {
    const response = await post(app, { query: PAGE, variables: { id: paperId } }, { accept: 'text/event-stream' });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const arrived = await parts(response, (text) => text.split('\n\n'));
    check(arrived.filter((a) => 'data' in a.part || 'incremental' in a.part || 'hasNext' in a.part));
  });
});
