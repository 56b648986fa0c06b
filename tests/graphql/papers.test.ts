import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { addPapers, allPapers, loadSample, record } from '../helpers/fixtures.ts';
import { gql, gqlData } from '../helpers/gql.ts';

let t: TestDb;
let app: App;

interface Page {
  papers: {
    totalCount: number;
    edges: { cursor: string; node: { id: string; title: string; upvotes: number; publishedAt: string | null } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

const PAGE = /* GraphQL */ `
  query Page($first: Int, $after: String, $last: Int, $before: String, $filter: PaperFilter, $orderBy: PaperOrder) {
    papers(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount
      edges { cursor node { id title upvotes publishedAt } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  // Many papers sharing one date and one upvote count: the tiebreaker must keep pages stable.
  await addPapers(
    t.db,
    Array.from({ length: 30 }, (_, i) =>
      record({ title: `Tied paper ${String(i).padStart(2, '0')}`, publishedAt: '2024-06-04', upvotes: 2 }),
    ),
  );
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

async function walk(variables: Record<string, unknown>, size: number) {
  const seen: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const data: Page = await gqlData<Page>(app, PAGE, { ...variables, first: size, after });
    seen.push(...data.papers.edges.map((e) => e.node.title));
    if (!data.papers.pageInfo.hasNextPage) return seen;
    after = data.papers.pageInfo.endCursor;
  }
  throw new Error('pagination did not end');
}

/** The expected order, computed from the rows in plain JS. */
function expectedOrder(
  rows: Awaited<ReturnType<typeof allPapers>>,
  key: 'published_at' | 'upvotes' | 'title',
  desc: boolean,
) {
  const value = (r: (typeof rows)[number]) => (key === 'published_at' ? (r.published_at ?? '0000-00-00') : r[key]);
  return [...rows]
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      const cmp = va < vb ? -1 : va > vb ? 1 : a.id - b.id;
      return desc ? -cmp : cmp;
    })
    .map((r) => r.title);
}

describe('papers connection', () => {
  it('walks every paper exactly once, in order, with many ties, for each order', async () => {
    const rows = await allPapers(t.db);
    expect(await walk({ orderBy: { field: 'PUBLISHED_AT', direction: 'DESC' } }, 7)).toEqual(
      expectedOrder(rows, 'published_at', true),
    );
    expect(await walk({ orderBy: { field: 'UPVOTES', direction: 'ASC' } }, 4)).toEqual(
      expectedOrder(rows, 'upvotes', false),
    );
    expect(await walk({ orderBy: { field: 'UPVOTES', direction: 'DESC' } }, 9)).toEqual(
      expectedOrder(rows, 'upvotes', true),
    );
  });

  it('sorts by trending score, highest first, walking every paper once', async () => {
    const all = await gqlData<{ papers: { nodes: { title: string; trendingScore: number }[] } }>(
      app,
      '{ papers(first: 100, orderBy: { field: TRENDING }) { nodes { title trendingScore } } }',
    );
    const scores = all.papers.nodes.map((n) => n.trendingScore);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const walked = await walk({ orderBy: { field: 'TRENDING', direction: 'DESC' } }, 6);
    expect(walked).toEqual(all.papers.nodes.map((n) => n.title));
    // Independently: the formula in SQL, for one paper.
    const [first] = all.papers.nodes;
    const row = await sql<{ s: number }>`
      select ((upvotes + coalesce(github_stars, 0) / 100.0 + 1)::float8
        / power((greatest(current_date - coalesce(featured_on, published_at, created_at::date), 0) + 2)::float8, 1.5)) as s
      from papers where title = ${first?.title ?? ''}`.execute(t.db);
    expect(first?.trendingScore).toBeCloseTo(row.rows[0]?.s ?? -1, 10);
  });

  it('sorts by title in the database collation', async () => {
    const titles = await walk({ orderBy: { field: 'TITLE', direction: 'ASC' } }, 50);
    expect(new Set(titles).size).toBe((await allPapers(t.db)).length);
    const ordered = await t.db.selectFrom('papers').select('title').orderBy('title').orderBy('id').execute();
    expect(titles).toEqual(ordered.map((r) => r.title));
  });

  it('pages backwards with last/before and agrees with the forward walk', async () => {
    const orderBy = { field: 'UPVOTES', direction: 'DESC' };
    const forward = await walk({ orderBy }, 10);
    const backward: string[] = [];
    let before: string | null = null;
    for (;;) {
      const data: Page = await gqlData<Page>(app, PAGE, { orderBy, last: 6, before });
      backward.unshift(...data.papers.edges.map((e) => e.node.title));
      if (!data.papers.pageInfo.hasPreviousPage) break;
      before = data.papers.pageInfo.startCursor;
    }
    expect(backward).toEqual(forward);
  });

  it('defaults to 20 papers, newest first, with totalCount over the whole list', async () => {
    const data = await gqlData<Page>(app, PAGE, {});
    const rows = await allPapers(t.db);
    expect(data.papers.totalCount).toBe(rows.length);
    expect(data.papers.edges.map((e) => e.node.title)).toEqual(expectedOrder(rows, 'published_at', true).slice(0, 20));
    expect(data.papers.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });
});

describe('papers filter', () => {
  const count = async (filter: Record<string, unknown>) =>
    (await gqlData<Page>(app, PAGE, { filter, first: 100 })).papers;

  it('minUpvotes', async () => {
    const rows = (await allPapers(t.db)).filter((r) => r.upvotes >= 2);
    const page = await count({ minUpvotes: 2 });
    expect(page.totalCount).toBe(rows.length);
    expect(page.edges.every((e) => e.node.upvotes >= 2)).toBe(true);
  });

  it('publishedAfter and publishedBefore, inclusive', async () => {
    const rows = (await allPapers(t.db)).filter(
      (r) => r.published_at !== null && r.published_at >= '2024-06-04' && r.published_at <= '2024-12-31',
    );
    const page = await count({ publishedAfter: '2024-06-04', publishedBefore: '2024-12-31' });
    expect(page.totalCount).toBe(rows.length);
    expect(page.edges.map((e) => e.node.title).sort()).toEqual(rows.map((r) => r.title).sort());
  });

  it('authorsCount range, excluding unknown counts', async () => {
    const rows = (await allPapers(t.db)).filter(
      (r) => r.authors_count !== null && r.authors_count >= 5 && r.authors_count <= 8,
    );
    expect((await count({ authorsCount: { min: 5, max: 8 } })).totalCount).toBe(rows.length);
  });

  it('organization, case-insensitive', async () => {
    const page = await count({ organization: 'huggingfacefw' });
    expect(page.edges.map((e) => e.node.title)).toEqual([expect.stringMatching(/^FineWeb2/)]);
    expect((await count({ organization: 'nobody' })).totalCount).toBe(0);
  });

  it('topics: a leaf slug, and an area slug covering its topics', async () => {
    const expected = async (slugs: string[]) => {
      const rows = await t.db
        .selectFrom('paper_topics as pt')
        .innerJoin('topics as t', 't.id', 'pt.topic_id')
        .leftJoin('topics as parent', 'parent.id', 't.parent_id')
        .select('pt.paper_id')
        .distinct()
        .where((eb) => eb.or([eb('t.slug', 'in', slugs), eb('parent.slug', 'in', slugs)]))
        .execute();
      return rows.length;
    };
    for (const slugs of [['pre-training'], ['language-models'], ['knowledge-distillation', 'image-generation']]) {
      const page = await count({ topics: slugs });
      expect(page.totalCount).toBe(await expected(slugs));
      expect(page.totalCount).toBeGreaterThan(0);
    }
  });

  it('featuredOn, featuredWeek and featuredMonth (daily, weekly and monthly listings)', async () => {
    await addPapers(t.db, [
      record({ title: 'Featured one', featuredOn: '2026-01-08' }), // a Thursday
      record({ title: 'Featured the Monday before', featuredOn: '2026-01-05' }),
      record({ title: 'Featured the Sunday after', featuredOn: '2026-01-11' }),
      record({ title: 'Featured the next Monday', featuredOn: '2026-01-12' }),
      record({ title: 'Featured in December', featuredOn: '2025-12-31' }),
    ]);
    const titles = async (filter: Record<string, unknown>) =>
      (await count(filter)).edges.map((e) => e.node.title).sort();
    expect(await titles({ featuredOn: '2026-01-08' })).toEqual(['Featured one']);
    expect(await titles({ featuredWeek: '2026-01-08' })).toEqual([
      'Featured one',
      'Featured the Monday before',
      'Featured the Sunday after',
    ]);
    expect(await titles({ featuredMonth: '2026-01' })).toEqual([
      'Featured one',
      'Featured the Monday before',
      'Featured the Sunday after',
      'Featured the next Monday',
    ]);
    const bad = await gql(app, PAGE, { filter: { featuredMonth: '2026-13' } });
    expect(bad.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringMatching(/YYYY-MM/),
    });
  });
});

describe('facets', () => {
  it('count topics, organizations and years over the whole filtered list, as SQL does', async () => {
    const data = await gqlData<{
      papers: {
        totalCount: number;
        facets: {
          topics: { topic: { slug: string }; count: number }[];
          organizations: { organization: { name: string }; count: number }[];
          years: { year: number; count: number }[];
        };
      };
    }>(
      app,
      '{ papers(first: 1, filter: { publishedAfter: "2023-01-01" }) { totalCount facets(limit: 100) { topics { topic { slug } count } organizations { organization { name } count } years { year count } } } }',
    );
    const topics = await sql<{ slug: string; count: number }>`
      select t.slug, count(*)::int as count from paper_topics pt join topics t on t.id = pt.topic_id
      join papers p on p.id = pt.paper_id where p.published_at >= '2023-01-01' group by t.slug`.execute(t.db);
    expect(Object.fromEntries(data.papers.facets.topics.map((x) => [x.topic.slug, x.count]))).toEqual(
      Object.fromEntries(topics.rows.map((r) => [r.slug, r.count])),
    );
    const counts = data.papers.facets.topics.map((x) => x.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const years = await sql<{ year: number; count: number }>`
      select extract(year from published_at)::int as year, count(*)::int as count from papers
      where published_at >= '2023-01-01' group by 1 order by 1 desc`.execute(t.db);
    expect(data.papers.facets.years).toEqual(years.rows);
    expect(data.papers.facets.years.reduce((n, y) => n + y.count, 0)).toBe(data.papers.totalCount);
    expect(data.papers.facets.organizations).toEqual([{ organization: { name: 'HuggingFaceFW' }, count: 1 }]);
  });
});

describe('bad arguments get clear errors with codes', () => {
  const expectError = async (variables: Record<string, unknown>, code: string, message: RegExp) => {
    const result = await gql(app, PAGE, variables);
    expect(result.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code } });
  };

  it('first or last out of 1..100', async () => {
    await expectError({ first: 1000 }, 'BAD_USER_INPUT', /`first` must be between 1 and 100, got 1000/);
    await expectError({ first: 0 }, 'BAD_USER_INPUT', /`first` must be between 1 and 100/);
    await expectError({ last: -1 }, 'BAD_USER_INPUT', /`last` must be between 1 and 100/);
    await expectError({ first: 2, last: 2 }, 'BAD_USER_INPUT', /not both/);
  });

  it('an invalid cursor, or one from another order', async () => {
    await expectError({ after: 'not-a-cursor' }, 'BAD_USER_INPUT', /`after` is not a valid cursor/);
    await expectError({ before: 'W1tdXQ' }, 'BAD_USER_INPUT', /`before` is not a valid cursor/);
    // Well-formed cursors with values SQL would choke on: an impossible date, an id out of range.
    const forged = (value: unknown[]) => Buffer.from(JSON.stringify(value)).toString('base64url');
    await expectError({ after: forged(['published_at', '2024-02-30', 1]) }, 'BAD_USER_INPUT', /not a valid cursor/);
    await expectError(
      { after: forged(['published_at', '2024-02-03', 2 ** 40]) },
      'BAD_USER_INPUT',
      /not a valid cursor/,
    );
    const data = await gqlData<Page>(app, PAGE, { first: 1, orderBy: { field: 'UPVOTES' } });
    await expectError(
      { after: data.papers.pageInfo.endCursor, orderBy: { field: 'TITLE' } },
      'BAD_USER_INPUT',
      /ordered by UPVOTES, but this list is ordered by TITLE/,
    );
  });

  it('an unknown topic slug or a bad range', async () => {
    await expectError(
      { filter: { topics: ['no-such-topic'] } },
      'BAD_USER_INPUT',
      /no topic has the slug "no-such-topic"/,
    );
    await expectError(
      { filter: { authorsCount: { min: 5, max: 2 } } },
      'BAD_USER_INPUT',
      /min \(5\) is greater than max \(2\)/,
    );
    await expectError({ filter: { minUpvotes: -1 } }, 'BAD_USER_INPUT', /minUpvotes/);
    await expectError({ filter: { publishedAfter: '2024-13-45' } }, 'BAD_USER_INPUT', /publishedAfter|Date/);
  });

  it('a query that still works afterwards', async () => {
    expect((await gqlData<Page>(app, PAGE, { first: 1 })).papers.edges).toHaveLength(1);
  });
});

describe('paper lookups', () => {
  const PAPER = /* GraphQL */ `
    query ($id: ID, $arxivId: String) {
      paper(id: $id, arxivId: $arxivId) { id title arxivId organization { name displayName } topics { slug } topicScores { score topic { slug } } }
    }
  `;

  it('by id, with its organization and scored topics, best first', async () => {
    const page = await gqlData<Page>(app, PAGE, { filter: { organization: 'HuggingFaceFW' } });
    const id = page.papers.edges[0]?.node.id;
    const data = await gqlData<{
      paper: {
        title: string;
        organization: unknown;
        topics: { slug: string }[];
        topicScores: { score: number; topic: { slug: string } }[];
      };
    }>(app, PAPER, { id });
    expect(data.paper.organization).toEqual({ name: 'HuggingFaceFW', displayName: 'FineData' });
    expect(data.paper.topics.length).toBeGreaterThan(0);
    expect(data.paper.topicScores.map((s) => s.topic.slug)).toEqual(data.paper.topics.map((s) => s.slug));
    const scores = data.paper.topicScores.map((s) => s.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('by arXiv id', async () => {
    await addPapers(t.db, [record({ title: 'Paper with an arXiv id', arxivId: '2406.02214' })]);
    const data = await gqlData<{ paper: { title: string; arxivId: string } }>(app, PAPER, { arxivId: '2406.02214' });
    expect(data.paper).toMatchObject({ title: 'Paper with an arXiv id', arxivId: '2406.02214' });
  });

  it('similar papers: sharing topics or title words, best first, never itself, batched', async () => {
    const data = await gqlData<{
      papers: {
        nodes: {
          id: string;
          title: string;
          topics: { slug: string }[];
          similar: { id: string; topics: { slug: string }[] }[];
        }[];
      };
    }>(app, '{ papers(first: 10) { nodes { id title topics { slug } similar(first: 5) { id topics { slug } } } } }');
    for (const paper of data.papers.nodes) {
      expect(paper.similar.length).toBeGreaterThan(0);
      expect(paper.similar.length).toBeLessThanOrEqual(5);
      expect(paper.similar.map((s) => s.id)).not.toContain(paper.id);
      // When another paper shares a topic with it, the best match does: topics weigh most.
      const mine = new Set(paper.topics.map((x) => x.slug));
      const sharing = await sql<{ n: number }>`
        select count(*)::int as n from paper_topics a join paper_topics b on b.topic_id = a.topic_id and b.paper_id <> a.paper_id
        join papers p on p.id = a.paper_id where p.title = ${paper.title}`.execute(t.db);
      if ((sharing.rows[0]?.n ?? 0) > 0) expect(paper.similar[0]?.topics.some((x) => mine.has(x.slug))).toBe(true);
    }
    t.statements.reset();
    await gqlData(app, '{ papers(first: 10) { nodes { similar(first: 5) { title } } } }');
    expect(t.statements.count).toBe(2);
  });

  it('many by arXiv id, in the order given, null for unknown ids', async () => {
    await addPapers(t.db, [
      record({ title: 'Batch one', arxivId: '2410.00001' }),
      record({ title: 'Batch two', arxivId: '2410.00002' }),
    ]);
    const data = await gqlData<{ papersByArxivIds: ({ title: string } | null)[] }>(
      app,
      '{ papersByArxivIds(arxivIds: ["2410.00002", "0000.00000", "2410.00001"]) { title } }',
    );
    expect(data.papersByArxivIds).toEqual([{ title: 'Batch two' }, null, { title: 'Batch one' }]);
    const tooMany = await gql(app, 'query ($ids: [String!]!) { papersByArxivIds(arxivIds: $ids) { title } }', {
      ids: Array.from({ length: 101 }, (_, i) => `2410.${String(i).padStart(5, '0')}`),
    });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('unknown, malformed or ambiguous lookups', async () => {
    const unknown = await gql(app, PAPER, { id: Buffer.from('Paper:999999').toString('base64url') });
    expect(unknown.data).toEqual({ paper: null });
    expect(unknown.errors?.[0]).toMatchObject({
      extensions: { code: 'NOT_FOUND' },
      message: expect.stringMatching(/No paper has id/),
    });
    const missing = await gql(app, PAPER, { arxivId: '0000.00000' });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const malformed = await gql(app, PAPER, { id: '%%%' });
    expect(malformed.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringMatching(/not a valid papergraph ID/),
    });
    const wrongType = await gql(app, PAPER, { id: Buffer.from('Topic:1').toString('base64url') });
    expect(wrongType.errors?.[0]?.message).toMatch(/belongs to a Topic, not a Paper/);
    const both = await gql(app, PAPER, { id: 'x', arxivId: 'y' });
    expect(both.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringMatching(/exactly one/),
    });
  });
});
