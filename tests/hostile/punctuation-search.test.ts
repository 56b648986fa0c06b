// A search of nothing but punctuation has no words for the full text and no trigrams for the
// title similarity: it must find nothing, fast, and without reading every paper. On a seeded
// database each request runs through GraphQL, and every statement it sent is EXPLAINed
// (ANALYZE): a sequential scan of `papers` fails the test with the statement.
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { gql } from '../helpers/gql.ts';

// Enough papers that an index is the planner's choice for a selective search (as in
// tests/graphql/scale.test.ts, with fewer papers).
const SEEDED = 6_000;
const SEARCH = `query ($q: String!) {
  search(query: $q, first: 10) { mode totalCount pageInfo { hasNextPage } edges { rank highlight node { id title } } }
}`;

let t: TestDb;
let app: App;

beforeAll(async () => {
  t = await createTestDb();
  await sql`insert into organizations (name, display_name) select 'org-' || g, 'Org ' || g from generate_series(1, 20) g`.execute(
    t.db,
  );
  await sql`
    insert into papers (arxiv_id, title, abstract, authors_count, published_at, featured_on, upvotes, organization_id)
    select '2601.' || lpad(g::text, 5, '0'),
      'Paper ' || g || ' on ' || (array['diffusion', 'agents', 'distillation', 'reasoning', 'retrieval', 'quantization', 'video', 'alignment'])[1 + g % 8]
        || ' for ' || (array['language', 'vision', 'speech', 'robotics'])[1 + g % 4] || ' models',
      'We study ' || (array['sparse', 'dense', 'recurrent', 'multimodal'])[1 + g % 4] || ' networks. '
        || case when g % 50 = 0 then 'Knowledge distillation transfers a teacher into a student.' else 'Baselines improve.' end,
      1 + g % 9, date '2022-01-01' + g % 1400, date '2022-01-01' + g % 1400, (g * 7919) % 500, 1 + g % 20
    from generate_series(1, ${SEEDED}::int) g`.execute(t.db);
  await sql`
    insert into paper_topics (paper_id, topic_id, score, published_key)
    select p.id, l.ids[1 + (p.id * v.k) % array_length(l.ids, 1)], 0.5, coalesce(p.published_at, '-infinity'::date)
    from papers p
    cross join (select array_agg(id order by id) as ids from topics where parent_id is not null) l
    cross join (values (1), (7)) v(k)
    on conflict do nothing`.execute(t.db);
  await sql`vacuum analyze`.execute(t.db);
  app = await createApp({ db: t.db });
  // The seeded papers are found by a search with words: the path below is not empty.
  const words = await gql<{ search: { mode: string; totalCount: number } }>(app, SEARCH, {
    q: 'knowledge distillation',
  });
  expect(words.data?.search).toMatchObject({ mode: 'FULL_TEXT', totalCount: SEEDED / 50 });
}, 120_000);
afterAll(() => t?.destroy());

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

// From EXPLAIN ANALYZE: a branch the executor never entered read nothing and does not count.
function seqScansOfPapers(node: PlanNode): number {
  if (node['Actual Loops'] === 0) return 0;
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'papers' ? 1 : 0;
  return own + (node.Plans ?? []).reduce((n, child) => n + seqScansOfPapers(child), 0);
}

describe(`a search of punctuation only (${SEEDED.toLocaleString('en')} papers)`, () => {
  for (const q of ["'", '!!', '&|!():*']) {
    it(`${JSON.stringify(q)}: no rows, fast, and no sequential scan of papers`, async () => {
      t.statements.reset();
      const started = performance.now();
      const result = await gql<{
        search: { mode: string; totalCount: number; pageInfo: { hasNextPage: boolean }; edges: unknown[] };
      }>(app, SEARCH, { q });
      const ms = performance.now() - started;
      expect(result.errors).toBeUndefined();
      expect(['SIMILAR_TITLE', 'FULL_TEXT']).toContain(result.data?.search.mode);
      expect(result.data?.search).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false } });
      expect(ms).toBeLessThan(2_000);

      const statements = t.statements.queries.filter((s) => /^\s*(select|with)\b/i.test(s.sql));
      const scans: string[] = [];
      for (const s of statements) {
        const { rows } = await t.db.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(
          CompiledQuery.raw(`explain (analyze, format json) ${s.sql}`, [...s.parameters]),
        );
        const plan = rows[0]?.['QUERY PLAN'];
        const tree = (typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan as PlanNode;
        if (seqScansOfPapers(tree) > 0) scans.push(s.sql);
      }
      expect(scans).toEqual([]);
    });
  }
});
