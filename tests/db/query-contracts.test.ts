// Contracts the loaders rely on, checked on the query functions directly: a batch function answers
// in the order of its keys, with an explicit empty value (0, []) for a key that matches nothing,
// whatever the order and duplicates of the keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAuthorsOfPapers } from '../../src/db/queries/authors.ts';
import { countFacets } from '../../src/db/queries/paper-facets.ts';
import { countPapers } from '../../src/db/queries/paper-lists.ts';
import { findPapersByIds } from '../../src/db/queries/papers.ts';
import { findTrendingScores } from '../../src/db/queries/trending.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { addPapers, allPapers, record } from '../helpers/fixtures.ts';

const MISSING = 2_000_000_000;

let t: TestDb;
let ids: number[];
let organizations: Map<string, number>;

beforeAll(async () => {
  t = await createTestDb();
  const org = (name: string) => ({ name, displayName: null });
  const authors = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Author ${i + 1}`, hidden: i === 1 }));
  await addPapers(t.db, [
    record({ title: 'Alpha', organization: org('org-a'), upvotes: 10, authors: authors(3) }),
    record({ title: 'Beta', organization: org('org-a'), upvotes: 0, publishedAt: '2024-03-01', authors: authors(1) }),
    record({ title: 'Gamma', organization: org('org-b'), upvotes: 5, githubStars: 900, authors: null }),
    record({ title: 'Delta', organization: null, upvotes: 2, publishedAt: '2023-05-05', authors: authors(6) }),
  ]);
  const papers = await allPapers(t.db);
  ids = papers.map((p) => p.id);
  const rows = await t.db.selectFrom('organizations').select(['id', 'name']).execute();
  organizations = new Map(rows.map((r) => [r.name, r.id]));
}, 120_000);

afterAll(() => t?.destroy());

function orgId(name: string): number {
  const id = organizations.get(name);
  if (id === undefined) throw new Error(`no organization ${name}`);
  return id;
}

describe('countPapers', () => {
  it('answers in key order, with 0 for unknown and null parents and repeated keys counted again', async () => {
    const papers = await allPapers(t.db);
    const expected = (id: number | null) => papers.filter((p) => id !== null && p.organization_id === id).length;
    const keys = [orgId('org-b'), MISSING, null, orgId('org-a'), orgId('org-b')];
    expect(await countPapers(t.db, 'organization', keys, {})).toEqual(keys.map(expected));
    expect(keys.map(expected)).toContain(0);
  });

  it('applies the filter to every parent', async () => {
    const papers = await allPapers(t.db);
    const keys = [orgId('org-a'), orgId('org-b')];
    const counts = await countPapers(t.db, 'organization', keys, { minUpvotes: 5 });
    expect(counts).toEqual(keys.map((id) => papers.filter((p) => p.organization_id === id && p.upvotes >= 5).length));
  });

  it('counts every paper once per key for the whole list', async () => {
    expect(await countPapers(t.db, 'all', [null, null], {})).toEqual([ids.length, ids.length]);
  });
});

describe('findTrendingScores', () => {
  it('answers in key order, with 0 for a missing paper', async () => {
    const forward = await findTrendingScores(t.db, ids);
    const backward = await findTrendingScores(t.db, [MISSING, ...[...ids].reverse()]);
    expect(backward).toEqual([0, ...[...forward].reverse()]);
    for (const score of forward) expect(score).toBeGreaterThan(0);
  });

  it('counts GitHub stars as a hundredth of a vote', async () => {
    const papers = await allPapers(t.db);
    const gamma = papers.find((p) => p.title === 'Gamma');
    if (!gamma) throw new Error('Gamma missing');
    const [withStars] = await findTrendingScores(t.db, [gamma.id]);
    await t.db.updateTable('papers').set({ github_stars: null }).where('id', '=', gamma.id).execute();
    const [without] = await findTrendingScores(t.db, [gamma.id]);
    await t.db.updateTable('papers').set({ github_stars: 900 }).where('id', '=', gamma.id).execute();
    // Same age, so the scores are in the ratio of the votes: (5 + 9 + 1) / (5 + 1).
    expect((withStars ?? 0) / (without ?? 1)).toBeCloseTo(15 / 6, 6);
  });
});

describe('findPapersByIds', () => {
  it('returns the papers that exist, each once, and nothing for a missing id', async () => {
    const found = await findPapersByIds(t.db, [MISSING, ids[1] ?? 0, ids[1] ?? 0, ids[0] ?? 0]);
    expect(found.map((p) => p.id).sort((a, b) => a - b)).toEqual([ids[0], ids[1]].sort((a, b) => (a ?? 0) - (b ?? 0)));
  });
});

describe('findAuthorsOfPapers', () => {
  it('returns at most `limit` authors per paper, ordered by paper then position, hidden ones marked', async () => {
    const rows = await findAuthorsOfPapers(t.db, [...ids].reverse(), 2);
    const all = await t.db.selectFrom('paper_authors').selectAll().execute();
    const expected = all
      .filter((r) => r.position <= 2)
      .sort((a, b) => a.paper_id - b.paper_id || a.position - b.position)
      .map((r) => [r.paper_id, r.position, r.hidden]);
    expect(rows.map((r) => [r.paper_id, r.position, r.hidden])).toEqual(expected);
    expect(rows.some((r) => r.hidden)).toBe(true);
    expect(new Set(rows.map((r) => r.paper_id)).size).toBe(3); // Gamma has no authors
  });
});

describe('countFacets', () => {
  it('answers in key order, with empty facets for unknown and null parents', async () => {
    const papers = await allPapers(t.db);
    const keys = [orgId('org-b'), MISSING, null, orgId('org-a')];
    const facets = await countFacets(t.db, 'organization', keys, {}, 10);
    expect(facets.map((f) => f.organizations)).toEqual(
      keys.map((id) => {
        const n = papers.filter((p) => id !== null && p.organization_id === id).length;
        return n === 0 ? [] : [{ organization_id: id, count: n }];
      }),
    );
    const years = (id: number) =>
      [
        ...new Set(
          papers.filter((p) => p.organization_id === id).map((p) => Number(String(p.published_at).slice(0, 4))),
        ),
      ].sort((a, b) => b - a);
    expect(facets[3]?.years.map((y) => y.year)).toEqual(years(orgId('org-a')));
    expect(facets[1]).toEqual({ topics: [], organizations: [], years: [], sampleEvery: 1 });
  });
});
