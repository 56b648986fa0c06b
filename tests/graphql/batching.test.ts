import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { addPapers, loadSample, record } from '../helpers/fixtures.ts';
import { gqlData } from '../helpers/gql.ts';

let t: TestDb;
let app: App;

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  // The sample has 47 papers; the 50-paper case needs more, of varied topics.
  const subjects = [
    'diffusion models for image generation',
    'reinforcement learning from human feedback',
    'LLM agents using tools',
    'speech recognition',
  ];
  await addPapers(
    t.db,
    Array.from({ length: 20 }, (_, i) =>
      record({
        title: `Extra paper ${i}`,
        abstract: `We study ${subjects[i % subjects.length]} at scale.`,
        publishedAt: `2025-02-${String((i % 28) + 1).padStart(2, '0')}`,
      }),
    ),
  );
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

const NESTED = /* GraphQL */ `
  query Nested($first: Int!) {
    papers(first: $first) { nodes { topics { papers(first: 5) { nodes { topics { slug } } } } } }
  }
`;

type Nested = { papers: { nodes: { topics: { papers: { nodes: { topics: { slug: string }[] }[] } }[] }[] } };

async function statementsFor(query: string, variables: Record<string, unknown>) {
  t.statements.reset();
  const data = await gqlData<Nested>(app, query, variables);
  return { count: t.statements.count, data };
}

describe('batching: statements grow with depth, not with the number of objects', () => {
  it(`papers → topics → papers(first: 5) → topics takes at most 6 statements, for 2, 20 and 50 papers`, async () => {
    const counts: number[] = [];
    for (const first of [2, 20, 50]) {
      const { count, data } = await statementsFor(NESTED, { first });
      expect(data.papers.nodes).toHaveLength(first);
      // The data is really there: nested papers with their topics.
      const nestedPapers = data.papers.nodes.flatMap((p) => p.topics.flatMap((tp) => tp.papers.nodes));
      expect(nestedPapers.length).toBeGreaterThan(first);
      expect(nestedPapers.every((p) => p.topics.length > 0)).toBe(true);
      counts.push(count);
    }
    expect(counts[0]).toBeLessThanOrEqual(6);
    expect(new Set(counts).size).toBe(1);
  });

  it('organizations, parents, children, counts and totalCounts are batched too', async () => {
    const query = /* GraphQL */ `
      query ($first: Int!) {
        papers(first: $first) {
          totalCount
          nodes {
            organization { name paperCount }
            topics { slug paperCount parent { slug children { slug } } papers(first: 2) { totalCount } }
          }
        }
      }
    `;
    // 20 and 50: both pages include a paper with an organization, so the same loaders run.
    const small = await statementsFor(query, { first: 20 });
    const large = await statementsFor(query, { first: 50 });
    expect(large.count).toBe(small.count);
    expect(large.count).toBeLessThanOrEqual(10);
  });

  it('facets of nested connections: one statement per facet kind, for 2 areas as for 15', async () => {
    const query = /* GraphQL */ `
      query ($slugs: [String!]) {
        topics(slugs: $slugs) { papers(first: 1) { totalCount facets(limit: 3) { topics { count } organizations { count } years { year count } } } }
      }
    `;
    const areas = await t.db.selectFrom('topics').select('slug').where('parent_id', 'is', null).orderBy('id').execute();
    expect(areas.length).toBeGreaterThanOrEqual(15);
    const counts: number[] = [];
    for (const n of [2, 15]) {
      const slugs = areas.slice(0, n).map((a) => a.slug);
      t.statements.reset();
      const data = await gqlData<{ topics: { papers: { facets: { years: unknown[] } } }[] }>(app, query, { slugs });
      expect(data.topics).toHaveLength(n);
      counts.push(t.statements.count);
    }
    expect(counts[1]).toBe(counts[0]);
  });
});
