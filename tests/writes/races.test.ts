// Concurrent writes through a real server on PostgreSQL: each write either happens whole or is
// refused with a typed error, never an internal error, and what the database keeps is what the
// answers said.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { loadConfig } from '../../src/config.ts';
import { createDb, type Db } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { gql as request } from '../helpers/gql.ts';
import { createServerDatabase } from '../helpers/server-db.ts';

const enabled = !!process.env.TEST_DATABASE_URL;
if (!enabled) console.warn('skipping the concurrent write tests: set TEST_DATABASE_URL to run them');

let database: Awaited<ReturnType<typeof createServerDatabase>>;
let db: Db;
let server: RunningServer | undefined;
const keys = { write: '', admin: '' };

beforeAll(async () => {
  if (!enabled) return;
  database = await createServerDatabase();
  db = await createDb({ databaseUrl: database?.url });
  await prepareDatabase(db, { sampleData: 'auto' });
  keys.write = (await createApiKey(db, 'race writer', ['write'])).key;
  keys.admin = (await createApiKey(db, 'race admin', ['admin'])).key;
  const config = {
    ...loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000000' }),
    databaseUrl: database?.url ?? '',
    port: 0,
  };
  server = await startServer(config);
});
afterAll(async () => {
  await server?.close();
  await db?.destroy();
  await database?.drop();
});

interface Body {
  data?: Record<string, ({ __typename: string } & Record<string, unknown>) | null> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** One GraphQL request over a real socket. */
const gql = (query: string, variables: Record<string, unknown> = {}, key?: string) =>
  request(server?.url ?? '', query, variables, { key }) as Promise<Body>;

const shuffle = <T>(items: readonly T[]): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

/** The slugs of the topics without children, read through the API. */
async function leafSlugs(): Promise<string[]> {
  const body = await gql('{ topics { slug children { slug } } }');
  const topics = (body.data?.topics ?? []) as unknown as { slug: string; children: unknown[] }[];
  return topics.filter((x) => x.children.length === 0).map((x) => x.slug);
}

async function paperIds(count: number): Promise<string[]> {
  const body = await gql(
    'query ($n: Int!) { papers(first: $n, orderBy: { field: TITLE, direction: ASC }) { edges { node { id } } } }',
    {
      n: count,
    },
  );
  const edges = (body.data?.papers as unknown as { edges: { node: { id: string } }[] } | undefined)?.edges ?? [];
  return edges.map((e) => e.node.id);
}

const SET = /* GraphQL */ `
  mutation ($input: SetPaperTopicsInput!) {
    setPaperTopics(input: $input) {
      __typename
      ... on SetPaperTopicsPayload { paper { id } }
      ... on ValidationError { issues { field message } }
    }
  }
`;

const CREATE = /* GraphQL */ `
  mutation ($input: CreatePaperInput!) {
    createPaper(input: $input) {
      __typename
      ... on CreatePaperPayload { paper { id abstract arxivId } }
      ... on PaperConflictError { field existingPaper { id abstract arxivId } }
      ... on ValidationError { issues { field message } }
    }
  }
`;

/** The paper's topics as the database holds them, by slug, sorted. */
async function storedTopics(paperId: string): Promise<string[]> {
  const rowId = Number(/^Paper:(\d+)$/.exec(Buffer.from(paperId, 'base64url').toString())?.[1]);
  expect(Number.isInteger(rowId)).toBe(true);
  const rows = await db
    .selectFrom('paper_topics as pt')
    .innerJoin('topics as t', 't.id', 'pt.topic_id')
    .select('t.slug')
    .where('pt.paper_id', '=', rowId)
    .execute();
  return rows.map((r) => r.slug).sort();
}

describe.runIf(enabled)('concurrent writes on PostgreSQL', () => {
  it('8 concurrent setPaperTopics on one paper: each answers its payload, and the paper ends with exactly one caller’s topics', async () => {
    const leaves = await leafSlugs();
    expect(leaves.length).toBeGreaterThanOrEqual(16);
    const [paper] = await paperIds(1);
    expect(paper).toBeDefined();
    for (let round = 0; round < 5; round++) {
      // 8 disjoint pairs of leaves, different each round: a mix of two callers' sets is visible.
      const pool = shuffle(leaves);
      const sets = Array.from({ length: 8 }, (_, i) => [pool[2 * i], pool[2 * i + 1]] as string[]);
      const answers = await Promise.all(
        sets.map((slugs) => gql(SET, { input: { id: paper, topics: slugs.map((slug) => ({ slug })) } }, keys.write)),
      );
      for (const answer of answers) {
        expect(answer.errors).toBeUndefined();
        expect(answer.data?.setPaperTopics).toEqual({ __typename: 'SetPaperTopicsPayload', paper: { id: paper } });
      }
      const stored = await storedTopics(paper ?? '');
      const expectedSets = sets.map((s) => [...s].sort());
      expect(expectedSets).toContainEqual(stored);
      // The API says the same.
      const read = await gql('query ($id: ID!) { node(id: $id) { ... on Paper { topics { slug } } } }', { id: paper });
      const node = read.data?.node as unknown as { topics: { slug: string }[] } | undefined;
      const apiSlugs = (node?.topics ?? []).map((x) => x.slug);
      expect(apiSlugs.sort()).toEqual(stored);
    }
  }, 120_000);

  it('5 concurrent createPaper with one new title: one creates it, 4 get a PaperConflictError naming it', async () => {
    const title = `Concurrent creation of one paper ${randomBytes(4).toString('hex')}`;
    const abstracts = Array.from({ length: 5 }, (_, i) => `Abstract number ${i} of the racing creators.`);
    const answers = await Promise.all(
      abstracts.map((abstract) => gql(CREATE, { input: { title, abstract } }, keys.write)),
    );
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    const results = answers.map((a) => a.data?.createPaper as unknown as Record<string, never>);
    const created = results.filter((r) => r.__typename === 'CreatePaperPayload');
    expect(created).toHaveLength(1);
    const winner = (created[0] as unknown as { paper: { id: string; abstract: string } }).paper;
    expect(abstracts).toContain(winner.abstract);
    const conflicts = results.filter((r) => r !== created[0]);
    expect(conflicts).toHaveLength(4);
    for (const conflict of conflicts) {
      expect(conflict).toEqual({
        __typename: 'PaperConflictError',
        field: 'input.title',
        existingPaper: { id: winner.id, abstract: winner.abstract, arxivId: null },
      });
    }
    const rows = await sql<{ n: number }>`
      select count(*)::int as n from papers
      where title_key = btrim(lower(regexp_replace(${title}::text, '[^[:alnum:]]+', ' ', 'g')))`.execute(db);
    expect(rows.rows[0]?.n).toBe(1);
    const stored = await db.selectFrom('papers').select(['abstract']).where('title', '=', title).execute();
    expect(stored).toEqual([{ abstract: winner.abstract }]);
  }, 60_000);

  it('10 concurrent createPaper with one new arXiv id: one creates it, 9 get a PaperConflictError on input.arxivId', async () => {
    const arxivId = `2512.${String(10000 + Math.floor(Math.random() * 89999))}`;
    const titles = Array.from({ length: 10 }, (_, i) => `Racing paper ${i} with a shared arXiv id ${arxivId}`);
    const answers = await Promise.all(titles.map((title) => gql(CREATE, { input: { title, arxivId } }, keys.write)));
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    const results = answers.map((a) => a.data?.createPaper as unknown as Record<string, never>);
    const created = results.filter((r) => r.__typename === 'CreatePaperPayload');
    expect(created).toHaveLength(1);
    const winner = (created[0] as unknown as { paper: { id: string; abstract: string; arxivId: string } }).paper;
    expect(winner.arxivId).toBe(arxivId);
    const conflicts = results.filter((r) => r !== created[0]);
    expect(conflicts).toHaveLength(9);
    for (const conflict of conflicts) {
      expect(conflict).toEqual({
        __typename: 'PaperConflictError',
        field: 'input.arxivId',
        existingPaper: { id: winner.id, abstract: winner.abstract, arxivId },
      });
    }
    const stored = await db.selectFrom('papers').select('title').where('arxiv_id', '=', arxivId).execute();
    expect(stored).toHaveLength(1);
    expect(titles).toContain(stored[0]?.title);
  }, 60_000);

  it('16 writers on 40 overlapping papers and 2 admins swapping topic rules: no errors, and the kept counts are right', async () => {
    const leaves = await leafSlugs();
    const papers = await paperIds(40);
    expect(papers).toHaveLength(40);
    // Two leaf topics with rules, whose rules the admins swap back and forth.
    const ruled = await db
      .selectFrom('topic_rules as r')
      .innerJoin('topics as t', 't.id', 'r.topic_id')
      .select(['t.slug', 'r.pattern', 'r.weight'])
      .where('t.slug', 'in', leaves)
      .orderBy('t.slug')
      .orderBy('r.id')
      .execute();
    const rulesOf = new Map<string, { pattern: string; weight: number }[]>();
    for (const r of ruled) {
      const list = rulesOf.get(r.slug) ?? [];
      list.push({ pattern: r.pattern, weight: Number(r.weight) });
      rulesOf.set(r.slug, list);
    }
    const [a, b] = [...rulesOf.keys()].filter((slug) => slug === 'llm-agents' || slug === 'rag').sort();
    expect([a, b]).toEqual(['llm-agents', 'rag']);
    const rulesA = rulesOf.get(a ?? '') ?? [];
    const rulesB = rulesOf.get(b ?? '') ?? [];

    const failures: unknown[] = [];
    let calls = 0;
    const writer = async () => {
      for (const [i, paper] of shuffle(papers).slice(0, 10).entries()) {
        // Mostly manual topics; now and then an empty list, which hands the paper back to the tagger.
        const topics =
          i % 4 === 3
            ? []
            : shuffle(leaves)
                .slice(0, 1 + (i % 3))
                .map((slug) => ({ slug }));
        const answer = await gql(SET, { input: { id: paper, topics } }, keys.write);
        calls++;
        if (answer.errors || answer.data?.setPaperTopics?.__typename !== 'SetPaperTopicsPayload') failures.push(answer);
      }
    };
    const UPDATE = `mutation ($input: UpdateTopicInput!) { updateTopic(input: $input) { __typename ... on UpdateTopicPayload { retaggedPapers } } }`;
    const admin = async (slug: string, own: typeof rulesA, other: typeof rulesA) => {
      for (let i = 0; i < 6; i++) {
        const answer = await gql(UPDATE, { input: { slug, rules: i % 2 === 0 ? other : own } }, keys.admin);
        calls++;
        if (answer.errors || answer.data?.updateTopic?.__typename !== 'UpdateTopicPayload') failures.push(answer);
      }
    };
    await Promise.all([
      ...Array.from({ length: 16 }, writer),
      admin(a ?? '', rulesA, rulesB),
      admin(b ?? '', rulesB, rulesA),
    ]);
    expect(failures).toEqual([]);
    expect(calls).toBe(16 * 10 + 2 * 6);
    const counts = await sql<{ slug: string; kept: number; actual: number }>`
      select t.slug, t.paper_count as kept,
             (select count(*) from paper_topics pt where pt.topic_id = t.id)::int as actual
      from topics t order by t.slug`.execute(db);
    expect(counts.rows.length).toBeGreaterThan(0);
    expect(counts.rows.filter((r) => r.kept !== r.actual)).toEqual([]);
  }, 180_000);
});
