import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersistedDocumentsError, persistedDocuments } from '../../src/plugins/persisted-documents.ts';
import { type App, createApp, servedSchema } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { loadSample } from '../helpers/fixtures.ts';

const NEWEST =
  'query Newest($first: Int!) { papers(first: $first, orderBy: { field: PUBLISHED_AT, direction: DESC }) { totalCount nodes { title } } }';
const TOPICS = 'query Topics { topics(rootsOnly: true) { slug } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const manifest = { [sha256(NEWEST)]: NEWEST, [sha256(TOPICS)]: TOPICS };

let t: TestDb;
let open: App;
let only: App;
let none: App;

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  const documents = persistedDocuments(manifest, servedSchema);
  open = await createApp({ db: t.db, persistedDocuments: documents });
  only = await createApp({ db: t.db, persistedDocuments: documents, persistedDocumentsOnly: true });
  none = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

interface Body {
  data?: { papers?: { totalCount: number; nodes: unknown[] }; topics?: { slug: string }[] } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function post(app: App, body: Record<string, unknown>) {
  const response = await app.fetch('http://papergraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

async function get(app: App, params: Record<string, string>) {
  const response = await app.fetch(`http://papergraph.test/graphql?${new URLSearchParams(params)}`, {
    headers: { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1' },
  });
  return { status: response.status, body: (await response.json()) as Body };
}

describe('persisted documents', () => {
  it('runs a document by documentId, in a POST body or a GET query string, with or without sha256:', async () => {
    const id = `sha256:${sha256(NEWEST)}`;
    const byPost = await post(open, { documentId: id, variables: { first: 2 } });
    expect(byPost.status).toBe(200);
    expect(byPost.body.data?.papers?.totalCount).toBe(47);
    expect(byPost.body.data?.papers?.nodes).toHaveLength(2);
    const byGet = await get(open, { documentId: sha256(NEWEST), variables: JSON.stringify({ first: 3 }) });
    expect(byGet.status).toBe(200);
    expect(byGet.body.data?.papers?.nodes).toHaveLength(3);
    // Apollo's persisted-query extension names the same documents.
    const apollo = await post(open, {
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(TOPICS) } },
    });
    expect(apollo.body.data?.topics?.length).toBeGreaterThan(3);
  });

  it('accepts free-form queries too by default', async () => {
    const result = await post(open, { query: '{ papers(first: 1) { totalCount } }' });
    expect(result.body.data?.papers?.totalCount).toBe(47);
  });

  it('refuses an unknown id with PERSISTED_QUERY_NOT_FOUND, and both a query and an id with BAD_REQUEST', async () => {
    const unknown = await post(open, { documentId: `sha256:${'0'.repeat(64)}` });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(unknown.body.errors?.[0]?.message).toMatch(/No persisted document has this documentId/);
    const both = await post(open, { documentId: sha256(TOPICS), query: TOPICS });
    expect(both.status).toBe(400);
    expect(both.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('answers a documentId clearly on a server without a manifest (it used to be an unexpected parameter)', async () => {
    const result = await post(none, { documentId: sha256(TOPICS) });
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const neither = await post(none, {});
    expect(neither.status).toBe(400);
    expect(neither.body.errors?.[0]?.message).toMatch(/Must provide query string/);
  });

  it('with PERSISTED_DOCUMENTS_ONLY, runs the manifest and refuses anything else with PERSISTED_QUERY_ONLY', async () => {
    const known = await post(only, { documentId: sha256(TOPICS) });
    expect(known.body.data?.topics?.length).toBeGreaterThan(3);
    // The exact text of a manifest document is the same document.
    const sameText = await post(only, { query: TOPICS });
    expect(sameText.body.data?.topics?.length).toBeGreaterThan(3);
    const free = await post(only, { query: '{ papers(first: 1) { totalCount } }' });
    expect(free.status).toBe(400);
    expect(free.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    expect(free.body.errors?.[0]?.message).toMatch(/persisted documents only/);
    const introspection = await get(only, { query: '{ __schema { types { name } } }' });
    expect(introspection.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    const unknown = await post(only, { documentId: sha256('{ __typename }') });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const nothing = await post(only, {});
    expect(nothing.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
  });

  it('refuses, at start-up, a manifest whose documents do not fit the schema', () => {
    expect(() => persistedDocuments({ abc: '{ papers { nope } }', def: '{' }, servedSchema)).toThrow(
      PersistedDocumentsError,
    );
    expect(() => persistedDocuments({ abc: '{ papers { nope } }' }, servedSchema)).toThrow(
      /abc: Cannot query field "nope"/,
    );
    expect(() => persistedDocuments([], servedSchema)).toThrow(/JSON object/);
  });
});
