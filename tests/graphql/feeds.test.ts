import { parseFeed } from '@rowanmanning/feed-parser';
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
  await addPapers(t.db, [
    record({ title: 'Featured yesterday', arxivId: '2601.99999', featuredOn: '2026-01-07', upvotes: 3 }),
  ]);
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

async function feed(path: string) {
  const response = await app.fetch(`http://papergraph.test${path}`);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

describe('feeds', () => {
  it('/feeds/daily is valid Atom, newest featured first', async () => {
    const { status, type, body } = await feed('/feeds/daily');
    expect(status).toBe(200);
    expect(type).toMatch(/application\/atom\+xml/);
    const parsed = parseFeed(body);
    expect(parsed.meta.type).toBe('atom');
    expect(parsed.items[0]).toMatchObject({ title: 'Featured yesterday', url: 'https://arxiv.org/abs/2601.99999' });
    expect(parsed.items.length).toBeGreaterThan(1);
  });

  it('/feeds/topics/<slug> as RSS 2.0 lists the same papers as the API', async () => {
    const { type, body } = await feed('/feeds/topics/pre-training?format=rss');
    expect(type).toMatch(/application\/rss\+xml/);
    const parsed = parseFeed(body);
    expect(parsed.meta.type).toBe('rss');
    const api = await gqlData<{ topic: { papers: { nodes: { title: string }[] } } }>(
      app,
      '{ topic(slug: "pre-training") { papers(first: 50) { nodes { title } } } }',
    );
    expect(parsed.items.map((i) => i.title)).toEqual(api.topic.papers.nodes.map((n) => n.title));
  });

  it('/feeds/search?q= lists the search results', async () => {
    const parsed = parseFeed((await feed('/feeds/search?q=%22knowledge%20distillation%22')).body);
    const api = await gqlData<{ search: { nodes: { title: string }[] } }>(
      app,
      '{ search(query: "\\"knowledge distillation\\"", first: 50) { nodes { title } } }',
    );
    expect(parsed.items.map((i) => i.title)).toEqual(api.search.nodes.map((n) => n.title));
    expect(parsed.items.length).toBeGreaterThan(0);
  });

  it('unknown feeds are 404, not errors', async () => {
    expect((await feed('/feeds/topics/no-such-topic')).status).toBe(404);
    expect((await feed('/feeds/search?q=')).status).toBe(404);
    expect((await feed('/feeds/other')).status).toBe(404);
  });
});
