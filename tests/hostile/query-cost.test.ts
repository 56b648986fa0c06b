// What a query may cost is known before it runs, and it is an upper bound: no response holds
// more objects than `extensions.cost.requestedNodes` said. Checked on many random nested
// queries walked from the schema, then on the hostile shapes the issue names: a nested list
// of lists, the same again under aliases, too many ids, and a response over the size limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { addPapers, loadSample, record } from '../helpers/fixtures.ts';

let t: TestDb;
let app: App;
/** Global ids and slugs found in the data, for arguments. */
const found = {
  papers: [] as string[],
  topics: [] as string[],
  organizations: [] as string[],
  authors: [] as string[],
};
let slugs: string[] = [];

interface Response {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
    extensions?: { cost?: { requestedNodes: number; maxNodes: number } };
  };
  ms: number;
}

async function post(target: App, query: string, variables?: Record<string, unknown>): Promise<Response> {
  const started = performance.now();
  const response = await target.fetch('http://papergraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Response['body'];
  return { status: response.status, body, ms: performance.now() - started };
}

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  // The sample lists no author names: add papers whose authors share names, so that
  // Paper.authors and Author.papers have something to return.
  await addPapers(
    t.db,
    Array.from({ length: 12 }, (_, i) =>
      record({
        title: `A study of diffusion models for video, part ${i + 1}`,
        abstract: 'We train diffusion models on video and study language model agents that use tools.',
        authors: Array.from({ length: 6 }, (_, j) => ({ name: `Author ${(i + j) % 15}`, hidden: j === 5 })),
        authorsCount: 6,
      }),
    ),
  );
  app = await createApp({ db: t.db });
  const ids = await post(
    app,
    `{ papers(first: 100) { nodes { id organization { id } authors(first: 3) { author { id } } } }
       topics { id slug } }`,
  );
  const data = ids.body.data as {
    papers: { nodes: { id: string; organization: { id: string } | null; authors: { author: { id: string } }[] }[] };
    topics: { id: string; slug: string }[];
  };
  for (const paper of data.papers.nodes) {
    found.papers.push(paper.id);
    if (paper.organization && !found.organizations.includes(paper.organization.id))
      found.organizations.push(paper.organization.id);
    for (const a of paper.authors) if (!found.authors.includes(a.author.id)) found.authors.push(a.author.id);
  }
  found.topics = data.topics.map((x) => x.id);
  slugs = data.topics.map((x) => x.slug);
  // The random queries need every kind of object to reach.
  expect(found.papers.length).toBeGreaterThan(20);
  expect(found.topics.length).toBeGreaterThan(10);
  expect(found.organizations.length).toBeGreaterThan(0);
  expect(found.authors.length).toBeGreaterThan(10);
});
afterAll(() => t?.destroy());

/** Every non-null JSON object inside `value` (arrays are not objects; the value itself not counted). */
function objectsIn(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + (isObject(item) ? 1 : 0) + objectsIn(item), 0);
  if (!isObject(value)) return 0;
  let n = 0;
  for (const item of Object.values(value)) n += (isObject(item) ? 1 : 0) + objectsIn(item);
  return n;
}
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** mulberry32: a small seeded PRNG, so that every run (and both engines) sends the same queries. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}
type Rng = ReturnType<typeof prng>;

// The object types the walk reaches: their scalar leaves and their object or list fields, each
// with its arguments (random page sizes 1..10) and the type it leads to.
interface TypeSpec {
  leaves: string[];
  fields: { name: string; args?: (r: Rng) => string; to: string }[];
}
const size = (name: string) => (r: Rng) => `(${name}: ${r.int(1, 10)})`;
const TYPES: Record<string, TypeSpec> = {
  Paper: {
    leaves: ['title', 'id', 'upvotes', 'arxivId'],
    fields: [
      { name: 'topics', to: 'Topic' },
      { name: 'topicScores', to: 'TopicScore' },
      { name: 'authors', args: size('first'), to: 'PaperAuthor' },
      { name: 'similar', args: size('first'), to: 'Paper' },
      { name: 'organization', to: 'Organization' },
    ],
  },
  Topic: {
    leaves: ['slug', 'name', 'paperCount'],
    fields: [
      { name: 'papers', args: size('first'), to: 'PaperConnection' },
      { name: 'children', to: 'Topic' },
      { name: 'relatedTopics', args: size('first'), to: 'TopicCount' },
      { name: 'parent', to: 'Topic' },
    ],
  },
  TopicScore: { leaves: ['score'], fields: [{ name: 'topic', to: 'Topic' }] },
  TopicCount: { leaves: ['count'], fields: [{ name: 'topic', to: 'Topic' }] },
  Organization: {
    leaves: ['name', 'paperCount'],
    fields: [{ name: 'papers', args: size('first'), to: 'PaperConnection' }],
  },
  OrganizationCount: { leaves: ['count'], fields: [{ name: 'organization', to: 'Organization' }] },
  PaperAuthor: { leaves: ['name', 'position'], fields: [{ name: 'author', to: 'Author' }] },
  Author: { leaves: ['name', 'paperCount'], fields: [{ name: 'papers', args: size('first'), to: 'PaperConnection' }] },
  PaperConnection: {
    leaves: ['totalCount'],
    fields: [
      { name: 'nodes', to: 'Paper' },
      { name: 'edges', to: 'PaperEdge' },
      { name: 'pageInfo', to: 'PageInfo' },
      { name: 'facets', args: size('limit'), to: 'PaperFacets' },
    ],
  },
  PaperEdge: { leaves: ['cursor'], fields: [{ name: 'node', to: 'Paper' }] },
  PageInfo: { leaves: ['hasNextPage', 'endCursor'], fields: [] },
  PaperFacets: {
    leaves: ['approximate'],
    fields: [
      { name: 'topics', to: 'TopicCount' },
      { name: 'organizations', to: 'OrganizationCount' },
      { name: 'years', to: 'YearCount' },
    ],
  },
  YearCount: { leaves: ['year', 'count'], fields: [] },
  SearchConnection: {
    leaves: ['mode', 'totalCount'],
    fields: [
      { name: 'nodes', to: 'Paper' },
      { name: 'edges', to: 'SearchEdge' },
      { name: 'pageInfo', to: 'SearchPageInfo' },
    ],
  },
  SearchEdge: { leaves: ['rank', 'cursor'], fields: [{ name: 'node', to: 'Paper' }] },
  SearchPageInfo: { leaves: ['hasNextPage', 'endCursor'], fields: [] },
  OrganizationConnection: {
    leaves: [],
    fields: [
      { name: 'nodes', to: 'Organization' },
      { name: 'edges', to: 'OrganizationEdge' },
      { name: 'pageInfo', to: 'PageInfo' },
    ],
  },
  OrganizationEdge: { leaves: ['cursor'], fields: [{ name: 'node', to: 'Organization' }] },
};

const MAX_DEPTH = 5;

/** A selection set on `type` at `depth` (the root field is depth 1): a scalar leaf, then random object fields. */
function selection(r: Rng, type: string, depth: number): string {
  const spec = TYPES[type] as TypeSpec;
  const parts = [spec.leaves.length > 0 ? r.pick(spec.leaves) : '__typename'];
  if (depth < MAX_DEPTH) {
    const wanted = depth === 1 ? r.int(1, 2) : r.int(0, 2);
    const fields = [...spec.fields];
    for (let i = 0; i < wanted && fields.length > 0; i++) {
      const [field] = fields.splice(Math.floor(r.next() * fields.length), 1);
      if (!field) break;
      parts.push(`${field.name}${field.args?.(r) ?? ''} { ${selection(r, field.to, depth + 1)} }`);
    }
  }
  return parts.join(' ');
}

/** A root field with its arguments and selection. */
function rootField(r: Rng): string {
  const root = r.int(0, 5);
  if (root === 0) return `papers(first: ${r.int(1, 10)}) { ${selection(r, 'PaperConnection', 1)} }`;
  if (root === 1) return `topics${r.next() < 0.3 ? '(rootsOnly: true)' : ''} { ${selection(r, 'Topic', 1)} }`;
  if (root === 2) return `topic(slug: ${JSON.stringify(r.pick(slugs))}) { ${selection(r, 'Topic', 1)} }`;
  if (root === 3) return `organizations(first: ${r.int(1, 10)}) { ${selection(r, 'OrganizationConnection', 1)} }`;
  if (root === 4) return `search(query: "model", first: ${r.int(1, 10)}) { ${selection(r, 'SearchConnection', 1)} }`;
  const pool = [...found.papers, ...found.topics, ...found.organizations, ...found.authors];
  const ids = Array.from({ length: r.int(1, 10) }, () => JSON.stringify(r.pick(pool)));
  const fragments = ['Paper', 'Topic', 'Organization', 'Author']
    .filter(() => r.next() < 0.7)
    .map((type) => `... on ${type} { ${selection(r, type, 1)} }`);
  return `nodes(ids: [${ids.join(', ')}]) { id ${fragments.join(' ')} }`;
}

const EXAMPLE = 'topics { papers(first: 100) { nodes { topics { papers(first: 100) { nodes { title } } } } } }';

describe('the query cost', () => {
  // 300 queries are generated and sent. With this seed and data, 296 are answered with data
  // (about 58,000 objects in all) and 4 are refused as over the node limit: every answered
  // one is checked. About 20 s alone on PGlite or PostgreSQL, up to 70 s beside other files.
  it('is never below the objects a response actually holds (300 random nested queries)', async () => {
    const r = prng(20261130);
    const under: string[] = [];
    const otherErrors: string[] = [];
    let answered = 0;
    let refused = 0;
    let objects = 0;
    for (let i = 0; i < 300; i++) {
      const roots = Array.from({ length: r.int(1, 2) }, (_, j) => `r${j}: ${rootField(r)}`);
      const query = `{ ${roots.join(' ')} }`;
      const { body } = await post(app, query);
      const codes = (body.errors ?? []).map((e) => e.extensions?.code);
      if (codes.length > 0 && codes.every((c) => c === 'QUERY_TOO_COSTLY')) {
        refused++;
        continue;
      }
      if (codes.length > 0) otherErrors.push(`${JSON.stringify(body.errors)} for ${query}`);
      if (!body.data) continue;
      answered++;
      const held = objectsIn(body.data);
      objects += held;
      const estimate = body.extensions?.cost?.requestedNodes ?? -1;
      if (estimate < held) under.push(`estimated ${estimate}, returned ${held}: ${query}`);
    }
    expect(under).toEqual([]);
    expect(otherErrors).toEqual([]);
    // Not a vacuous check: most queries ran and returned nested objects.
    expect(answered).toBeGreaterThanOrEqual(200);
    expect(objects).toBeGreaterThan(answered * 5);
    expect(answered + refused).toBe(300);
  }, 240_000);

  it("refuses the issue's nested list of lists, alone and under three aliases, before running it", async () => {
    for (const query of [`{ ${EXAMPLE} }`, `{ a: ${EXAMPLE} b: ${EXAMPLE} c: ${EXAMPLE} }`]) {
      t.statements.reset();
      const result = await post(app, query);
      expect(result.ms).toBeLessThan(2_000);
      expect(result.body.data ?? null).toBeNull();
      expect(result.body.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COSTLY']);
      // Refused before running: no resolver read the papers.
      expect(t.statements.sql.filter((s) => /\bpapers\b/.test(s))).toEqual([]);
    }
  });

  it('refuses nodes(ids:) with 101 ids, and counts 100 topic ids as at least 100 objects', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => found.topics[i % found.topics.length] as string);
    const over = await post(app, 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
    expect(over.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(over.body.data?.nodes ?? null).toBeNull();

    const hundred = ids.slice(0, 100);
    const within = await post(app, 'query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Topic { slug } } }', {
      ids: hundred,
    });
    expect(within.body.errors).toBeUndefined();
    expect(((within.body.data?.nodes ?? []) as { id: string }[]).map((n) => n.id)).toEqual(hundred);
    expect(within.body.extensions?.cost?.requestedNodes).toBeGreaterThanOrEqual(100);
  });

  it('refuses a response over the size limit with RESPONSE_TOO_LARGE and no data', async () => {
    const small = await createApp({ db: t.db, costLimits: { maxResponseBytes: 2000 } });
    const query = '{ papers(first: 30) { nodes { title abstract } } }';
    // The same query answers normally without the limit, and its response is larger than it.
    const full = await post(app, query);
    expect(full.body.errors).toBeUndefined();
    expect(JSON.stringify(full.body.data).length).toBeGreaterThan(2000);
    const limited = await post(small, query);
    expect(limited.body.data ?? null).toBeNull();
    expect(limited.body.errors?.map((e) => e.extensions?.code)).toEqual(['RESPONSE_TOO_LARGE']);
    // A small response still passes.
    const tiny = await post(small, '{ papers(first: 1) { totalCount } }');
    expect(tiny.body.errors).toBeUndefined();
    expect(tiny.body.data).toEqual({ papers: { totalCount: 47 + 12 } });
  });
});
