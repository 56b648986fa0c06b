import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { loadSample } from '../helpers/fixtures.ts';
import { gql, gqlData } from '../helpers/gql.ts';

let t: TestDb;
let app: App;
const taxonomy = JSON.parse(readFileSync(new URL('../../data/topics.json', import.meta.url), 'utf8')) as {
  topics: { slug: string; name: string; parent: string | null }[];
};

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

describe('topics', () => {
  it('lists the whole taxonomy in order, and the areas with their children', async () => {
    const all = await gqlData<{ topics: { slug: string; parent: { slug: string } | null }[] }>(
      app,
      '{ topics { slug parent { slug } } }',
    );
    expect(all.topics.map((x) => [x.slug, x.parent?.slug ?? null])).toEqual(
      taxonomy.topics.map((x) => [x.slug, x.parent]),
    );
    const roots = await gqlData<{ topics: { slug: string; children: { slug: string }[] }[] }>(
      app,
      '{ topics(rootsOnly: true) { slug children { slug } } }',
    );
    const expected = taxonomy.topics
      .filter((x) => x.parent === null)
      .map((area) => ({
        slug: area.slug,
        children: taxonomy.topics.filter((x) => x.parent === area.slug).map((c) => ({ slug: c.slug })),
      }));
    expect(roots.topics).toEqual(expected);
  });

  it('counts papers of a topic and of an area, as SQL does', async () => {
    const data = await gqlData<{
      a: { paperCount: number; papers: { totalCount: number } };
      b: { paperCount: number };
    }>(
      app,
      '{ a: topic(slug: "pre-training") { paperCount papers { totalCount } } b: topic(slug: "language-models") { paperCount } }',
    );
    const leaf = await sql<{ n: number }>`
      select count(*)::int as n from paper_topics pt join topics t on t.id = pt.topic_id where t.slug = 'pre-training'`.execute(
      t.db,
    );
    const area = await sql<{ n: number }>`
      select count(distinct pt.paper_id)::int as n from paper_topics pt join topics t on t.id = pt.topic_id
      join topics a on a.id = t.parent_id where a.slug = 'language-models'`.execute(t.db);
    expect(data.a.paperCount).toBe(leaf.rows[0]?.n);
    expect(data.a.papers.totalCount).toBe(leaf.rows[0]?.n);
    expect(data.b.paperCount).toBe(area.rows[0]?.n);
    expect(data.a.paperCount).toBeGreaterThan(0);
  });

  it("pages through a topic's papers, each page tagged with the topic", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        topic: {
          papers: {
            nodes: { id: string; topics: { slug: string; parent: { slug: string } | null }[] }[];
            pageInfo: { hasNextPage: boolean; endCursor: string };
          };
        };
      } = await gqlData(
        app,
        'query ($after: String) { topic(slug: "language-models") { papers(first: 3, after: $after) { nodes { id topics { slug parent { slug } } } pageInfo { hasNextPage endCursor } } } }',
        { after },
      );
      for (const node of data.topic.papers.nodes) {
        expect(node.topics.some((x) => x.parent?.slug === 'language-models')).toBe(true);
        seen.push(node.id);
      }
      if (!data.topic.papers.pageInfo.hasNextPage) break;
      after = data.topic.papers.pageInfo.endCursor;
    }
    const count = await gqlData<{ topic: { paperCount: number } }>(
      app,
      '{ topic(slug: "language-models") { paperCount } }',
    );
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(count.topic.paperCount);
  });

  it('an unknown slug gives null and NOT_FOUND', async () => {
    const result = await gql(app, '{ topic(slug: "nope") { slug } }');
    expect(result.data).toEqual({ topic: null });
    expect(result.errors?.[0]).toMatchObject({
      extensions: { code: 'NOT_FOUND' },
      message: expect.stringMatching(/"nope"/),
    });
  });
});

describe('topic trends and related topics', () => {
  it('trend: papers per month, every month listed, as SQL counts them', async () => {
    const data = await gqlData<{ topic: { trend: { period: string; count: number }[] } }>(
      app,
      '{ topic(slug: "language-models") { trend(from: "2024-01-01", to: "2024-12-31") { period count } } }',
    );
    expect(data.topic.trend.map((p) => p.period)).toEqual(
      Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}-01`),
    );
    const expected = await sql<{ month: number; n: number }>`
      select extract(month from p.published_at)::int as month, count(distinct p.id)::int as n
      from papers p join paper_topics pt on pt.paper_id = p.id join topics t on t.id = pt.topic_id
      join topics a on a.id = t.parent_id
      where a.slug = 'language-models' and p.published_at between '2024-01-01' and '2024-12-31' group by 1`.execute(
      t.db,
    );
    const byMonth = new Map(expected.rows.map((r) => [r.month, r.n]));
    expect(data.topic.trend.map((p) => p.count)).toEqual(Array.from({ length: 12 }, (_, i) => byMonth.get(i + 1) ?? 0));
    expect(data.topic.trend.reduce((n, p) => n + p.count, 0)).toBeGreaterThan(0);
  });

  it('trend by week starts on Mondays; a reversed range is refused', async () => {
    const data = await gqlData<{ topic: { trend: { period: string }[] } }>(
      app,
      '{ topic(slug: "pre-training") { trend(from: "2024-06-05", to: "2024-06-20", interval: WEEK) { period } } }',
    );
    expect(data.topic.trend.map((p) => p.period)).toEqual(['2024-06-03', '2024-06-10', '2024-06-17']);
    const bad = await gql(
      app,
      '{ topic(slug: "pre-training") { trend(from: "2024-06-20", to: "2024-06-05") { period } } }',
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('relatedTopics: co-occurring topics with the number of shared papers, most first', async () => {
    const data = await gqlData<{ topic: { relatedTopics: { topic: { slug: string }; count: number }[] } }>(
      app,
      '{ topic(slug: "pre-training") { relatedTopics(first: 100) { topic { slug } count } } }',
    );
    const expected = await sql<{ slug: string; n: number }>`
      select o.slug, count(distinct b.paper_id)::int as n from paper_topics a
      join topics t on t.id = a.topic_id and t.slug = 'pre-training'
      join paper_topics b on b.paper_id = a.paper_id and b.topic_id <> a.topic_id
      join topics o on o.id = b.topic_id group by o.slug`.execute(t.db);
    expect(Object.fromEntries(data.topic.relatedTopics.map((r) => [r.topic.slug, r.count]))).toEqual(
      Object.fromEntries(expected.rows.map((r) => [r.slug, r.n])),
    );
    const counts = data.topic.relatedTopics.map((r) => r.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });
});

describe('organizations', () => {
  it('by name, with its papers and count', async () => {
    const data = await gqlData<{
      organization: { name: string; displayName: string; paperCount: number; papers: { nodes: { title: string }[] } };
    }>(app, '{ organization(name: "HuggingFaceFW") { name displayName paperCount papers { nodes { title } } } }');
    expect(data.organization).toMatchObject({ name: 'HuggingFaceFW', displayName: 'FineData', paperCount: 1 });
    expect(data.organization.papers.nodes).toEqual([{ title: expect.stringMatching(/^FineWeb2/) }]);
    const missing = await gql(app, '{ organization(name: "nobody") { name } }');
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('node interface', () => {
  it('node and nodes resolve every type by global id, nulls for unknown ones', async () => {
    const data = await gqlData<{
      papers: {
        nodes: {
          id: string;
          title: string;
          organization: { id: string } | null;
          topics: { id: string; slug: string }[];
        }[];
      };
    }>(app, '{ papers(first: 30) { nodes { id title organization { id } topics { id slug } } } }');
    const paper = data.papers.nodes.find((p) => p.organization);
    const topic = paper?.topics[0];
    const unknown = Buffer.from('Paper:987654').toString('base64url');
    const result = await gqlData<{
      nodes: ({ __typename: string; title?: string; slug?: string; name?: string } | null)[];
      node: { __typename: string };
    }>(
      app,
      `query ($ids: [ID!]!, $id: ID!) {
        node(id: $id) { __typename }
        nodes(ids: $ids) { __typename ... on Paper { title } ... on Topic { slug } ... on Organization { name } }
      }`,
      { id: paper?.id, ids: [paper?.id, topic?.id, paper?.organization?.id, unknown] },
    );
    expect(result.node).toEqual({ __typename: 'Paper' });
    expect(result.nodes).toEqual([
      { __typename: 'Paper', title: paper?.title },
      { __typename: 'Topic', slug: topic?.slug },
      { __typename: 'Organization', name: 'HuggingFaceFW' },
      null,
    ]);
    const bad = await gql(app, '{ node(id: "garbage!") { id } }');
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});
