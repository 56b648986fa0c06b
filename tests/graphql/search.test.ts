import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { addPapers, loadSample, record } from '../helpers/fixtures.ts';
import { gql, gqlData } from '../helpers/gql.ts';

let t: TestDb;
let app: App;

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  await addPapers(t.db, [
    record({ title: 'Knowledge distillation in the title', abstract: 'A method for compressing models.' }),
    record({ title: 'A paper about compression', abstract: 'We study knowledge distillation from a large teacher.' }),
    record({ title: 'A survey of knowledge distillation', abstract: 'We survey knowledge distillation methods.' }),
  ]);
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

interface Search {
  search: {
    mode: string;
    totalCount: number;
    edges: { cursor: string; rank: number; highlight: string | null; node: { title: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const SEARCH = /* GraphQL */ `
  query ($q: String!, $first: Int, $after: String, $filter: PaperFilter) {
    search(query: $q, first: $first, after: $after, filter: $filter) {
      mode totalCount
      edges { cursor rank highlight node { title } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

/** The papers PostgreSQL's full text matches for a query, counted independently of the API. */
async function expectedCount(q: string) {
  const r = await sql<{
    n: number;
  }>`select count(*)::int as n from papers where search @@ websearch_to_tsquery('english', ${q})`.execute(t.db);
  return r.rows[0]?.n ?? 0;
}

describe('search', () => {
  it('ranks a title match above an abstract match, and highlights the words', async () => {
    const data = await gqlData<Search>(app, SEARCH, { q: '"knowledge distillation"', first: 50 });
    expect(data.search.mode).toBe('FULL_TEXT');
    expect(data.search.totalCount).toBe(await expectedCount('"knowledge distillation"'));
    const titles = data.search.edges.map((e) => e.node.title);
    expect(titles.indexOf('Knowledge distillation in the title')).toBeLessThan(
      titles.indexOf('A paper about compression'),
    );
    const ranks = data.search.edges.map((e) => e.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    const abstractHit = data.search.edges.find((e) => e.node.title === 'A paper about compression');
    expect(abstractHit?.highlight).toMatch(/<mark>knowledge<\/mark> <mark>distillation<\/mark>/i);
  });

  it('web-search syntax: -exclusion', async () => {
    const data = await gqlData<Search>(app, SEARCH, { q: '"knowledge distillation" -survey', first: 50 });
    expect(data.search.edges.map((e) => e.node.title)).not.toContain('A survey of knowledge distillation');
    expect(data.search.totalCount).toBe(await expectedCount('"knowledge distillation" -survey'));
  });

  it('pages with stable cursors: every hit once, in rank order', async () => {
    const all = await gqlData<Search>(app, SEARCH, { q: 'language models', first: 100 });
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const page: Search = await gqlData<Search>(app, SEARCH, { q: 'language models', first: 4, after });
      seen.push(...page.search.edges.map((e) => e.node.title));
      if (!page.search.pageInfo.hasNextPage) break;
      after = page.search.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.search.edges.map((e) => e.node.title));
    expect(seen.length).toBe(await expectedCount('language models'));
  });

  it('combines with filters', async () => {
    const data = await gqlData<Search>(app, SEARCH, {
      q: 'language models',
      first: 100,
      filter: { authorsCount: { min: 8 } },
    });
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from papers where search @@ websearch_to_tsquery('english', 'language models') and authors_count >= 8`.execute(
      t.db,
    );
    expect(data.search.totalCount).toBe(r.rows[0]?.n);
  });

  it('finds a misspelled title by similarity when the full text finds nothing', async () => {
    const data = await gqlData<Search>(app, SEARCH, { q: 'Tiny langauge modles' });
    expect(data.search.mode).toBe('SIMILAR_TITLE');
    expect(data.search.edges[0]?.node.title).toBe('Tiny language models');
    expect(data.search.edges[0]?.highlight).toBeNull();
  });

  it('refuses an empty query or a bad cursor', async () => {
    expect((await gql(app, SEARCH, { q: '  ' })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gql(app, SEARCH, { q: 'x', after: 'nope' })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
