// Values PostgreSQL cannot take (NUL, year 0000, forged cursors, oversized text) are refused
// as the client's fault before they reach it: BAD_USER_INPUT for reads, a ValidationError
// naming the field for writes, with nothing written. Links and arXiv ids are stored normalized.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { countRows, loadSample } from '../helpers/fixtures.ts';

let t: TestDb;
let app: App;
const keys = { write: '', admin: '' };

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  keys.write = (await createApiKey(t.db, 'writer', ['write'])).key;
  keys.admin = (await createApiKey(t.db, 'admin', ['admin'])).key;
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

type Typed = { __typename: string } & Record<string, unknown>;
interface Result {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function send(query: string, variables: Record<string, unknown> = {}, key?: string): Promise<Result> {
  const response = await app.fetch('http://papergraph.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: Omit<Result, 'status'>;
  try {
    body = JSON.parse(text) as Omit<Result, 'status'>;
  } catch {
    body = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, ...body };
}

/** The request was refused as the client's fault: a top-level BAD_USER_INPUT error, no server error. */
function expectBadUserInput(result: Result, what: string) {
  expect({ what, status: result.status < 500, code: result.errors?.[0]?.extensions?.code }).toEqual({
    what,
    status: true,
    code: 'BAD_USER_INPUT',
  });
}

/** The mutation answered a ValidationError whose issues name exactly these fields. */
function expectValidationError(result: Result, mutation: string, fields: string[]) {
  expect(result.errors).toBeUndefined();
  const answer = result.data?.[mutation] as (Typed & { issues?: { field: string }[] }) | undefined;
  expect(answer?.__typename).toBe('ValidationError');
  expect([...new Set(answer?.issues?.map((i) => i.field))].sort()).toEqual([...fields].sort());
}

const CREATE = /* GraphQL */ `
  mutation ($input: CreatePaperInput!) {
    createPaper(input: $input) {
      __typename
      ... on CreatePaperPayload { paper { id arxivId title projectUrl githubUrl } }
      ... on ValidationError { issues { field message } }
    }
  }
`;
const CREATE_OR_CONFLICT = /* GraphQL */ `
  mutation ($input: CreatePaperInput!) {
    createPaper(input: $input) {
      __typename
      ... on CreatePaperPayload { paper { id arxivId } }
      ... on PaperConflictError { field existingPaper { id arxivId } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($input: UpdatePaperInput!) {
    updatePaper(input: $input) {
      __typename
      ... on UpdatePaperPayload { paper { id featuredOn } }
      ... on ValidationError { issues { field message } }
    }
  }
`;

async function counts() {
  return {
    papers: await countRows(t.db, 'papers'),
    topics: await countRows(t.db, 'topics'),
    organizations: await countRows(t.db, 'organizations'),
    paperTopics: await countRows(t.db, 'paper_topics'),
  };
}

/** A paper of the sample: its global id and database row. */
async function samplePaper() {
  const row = await t.db.selectFrom('papers').selectAll().orderBy('id').limit(1).executeTakeFirstOrThrow();
  return { id: Buffer.from(`Paper:${row.id}`).toString('base64url'), row };
}

const cursorOf = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
const fromCursor = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];

describe('the NUL character', () => {
  const NUL = 'language\u0000model';
  const reads: [string, string, Record<string, unknown>][] = [
    ['paper(arxivId:)', 'query ($v: String!) { paper(arxivId: $v) { id } }', { v: '2401.\u000000001' }],
    ['topic(slug:)', 'query ($v: String!) { topic(slug: $v) { id } }', { v: 'rag\u0000' }],
    ['author(name:)', 'query ($v: String!) { author(name: $v) { id } }', { v: 'Ada\u0000Lovelace' }],
    ['organization(name:)', 'query ($v: String!) { organization(name: $v) { id } }', { v: 'acme\u0000' }],
    ['topics(slugs:)', 'query ($v: [String!]) { topics(slugs: $v) { slug } }', { v: ['rag', 'vision\u0000'] }],
    [
      'papersByArxivIds',
      'query ($v: [String!]!) { papersByArxivIds(arxivIds: $v) { id } }',
      { v: ['2401.00001', '2401.\u000000002'] },
    ],
    [
      'papers(filter: { organization })',
      'query ($v: String) { papers(filter: { organization: $v }) { totalCount } }',
      { v: 'acme\u0000' },
    ],
    ['search(query:)', 'query ($v: String!) { search(query: $v) { edges { cursor } } }', { v: NUL }],
  ];

  it('in the arguments of a read is BAD_USER_INPUT, never a server error', async () => {
    for (const [what, query, variables] of reads) expectBadUserInput(await send(query, variables), what);
  });

  it('in a write is a ValidationError naming the field, with nothing written', async () => {
    const before = await counts();
    const { id } = await samplePaper();
    expectValidationError(await send(CREATE, { input: { title: `A title with ${NUL}` } }, keys.write), 'createPaper', [
      'input.title',
    ]);
    const topicsBefore = await t.db
      .selectFrom('paper_topics')
      .select(['topic_id', 'score'])
      .where('paper_id', '=', (await samplePaper()).row.id)
      .orderBy('topic_id')
      .execute();
    expectValidationError(
      await send(
        'mutation ($input: SetPaperTopicsInput!) { setPaperTopics(input: $input) { __typename ... on ValidationError { issues { field } } } }',
        { input: { id, topics: [{ slug: 'rag' }, { slug: 'vision\u0000' }] } },
        keys.write,
      ),
      'setPaperTopics',
      ['input.topics.1.slug'],
    );
    const topicsAfter = await t.db
      .selectFrom('paper_topics')
      .select(['topic_id', 'score'])
      .where('paper_id', '=', (await samplePaper()).row.id)
      .orderBy('topic_id')
      .execute();
    expect(topicsAfter).toEqual(topicsBefore);
    const name = await t.db.selectFrom('topics').select('name').where('slug', '=', 'rag').executeTakeFirstOrThrow();
    expectValidationError(
      await send(
        'mutation ($input: UpdateTopicInput!) { updateTopic(input: $input) { __typename ... on ValidationError { issues { field } } } }',
        { input: { slug: 'rag', name: 'Retrieval\u0000' } },
        keys.admin,
      ),
      'updateTopic',
      ['input.name'],
    );
    expect(await t.db.selectFrom('topics').select('name').where('slug', '=', 'rag').executeTakeFirstOrThrow()).toEqual(
      name,
    );
    expect(await counts()).toEqual(before);
  });
});

describe('year 0000', () => {
  it('in a date filter, a month filter or a forged list cursor is BAD_USER_INPUT', async () => {
    expectBadUserInput(
      await send('{ papers(filter: { publishedAfter: "0000-01-01" }) { totalCount } }'),
      'filter.publishedAfter',
    );
    expectBadUserInput(
      await send('query ($f: PaperFilter) { papers(filter: $f) { totalCount } }', {
        f: { publishedBefore: '0000-12-31' },
      }),
      'filter.publishedBefore (variables)',
    );
    expectBadUserInput(await send('{ papers(filter: { featuredMonth: "0000-06" }) { totalCount } }'), 'featuredMonth');
    // A real cursor of the list, with its date replaced.
    const LIST = `query ($after: String) { papers(first: 2, after: $after, orderBy: { field: PUBLISHED_AT, direction: DESC }) { edges { cursor node { publishedAt } } } }`;
    const page = await send(LIST);
    const list = page.data?.papers as { edges: { cursor: string; node: { publishedAt: string } }[] } | undefined;
    const edges = list?.edges ?? [];
    expect(edges.length).toBeGreaterThan(0);
    const [, date, id] = fromCursor(edges[0]?.cursor ?? '');
    // The cursor holds the sort value and the id; forge one with a date PostgreSQL has no year for.
    expect(date).toBe(edges[0]?.node.publishedAt);
    expectBadUserInput(await send(LIST, { after: cursorOf(['published_at', '0000-01-01', id]) }), 'forged cursor');
    const forged = fromCursor(edges[0]?.cursor ?? '');
    forged[1] = '0000-01-01';
    expectBadUserInput(await send(LIST, { after: cursorOf(forged) }), 'forged cursor (as encoded)');
  });

  it('in createPaper or updatePaper is a ValidationError, with nothing written', async () => {
    const before = await counts();
    expectValidationError(
      await send(CREATE, { input: { title: 'Published in year zero', publishedAt: '0000-06-01' } }, keys.write),
      'createPaper',
      ['input.publishedAt'],
    );
    const { id, row } = await samplePaper();
    expectValidationError(await send(UPDATE, { input: { id, featuredOn: '0000-06-01' } }, keys.write), 'updatePaper', [
      'input.featuredOn',
    ]);
    expect(await t.db.selectFrom('papers').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow()).toEqual(row);
    expect(await counts()).toEqual(before);
  });
});

describe('a forged search cursor', () => {
  it('with a rank of 1e308 is BAD_USER_INPUT, not a server error', async () => {
    const SEARCH =
      'query ($after: String) { search(query: "language model", first: 2, after: $after) { edges { cursor } } }';
    const real = await send(SEARCH);
    expect(real.errors).toBeUndefined();
    expectBadUserInput(await send(SEARCH, { after: cursorOf(['fulltext', 1e308, 5782]) }), 'rank 1e308');
  });

  it('of a list: a NUL in a title cursor, or a trending score of 1e308, is BAD_USER_INPUT', async () => {
    const BY_TITLE =
      'query ($after: String) { papers(first: 2, after: $after, orderBy: { field: TITLE, direction: ASC }) { edges { cursor } } }';
    expectBadUserInput(await send(BY_TITLE, { after: cursorOf(['title', 'a\u0000b', 5]) }), 'NUL in a title cursor');
    const TRENDING =
      'query ($after: String) { papers(first: 2, after: $after, orderBy: { field: TRENDING }) { edges { cursor } } }';
    expectBadUserInput(await send(TRENDING, { after: cursorOf(['trending', 1e308, 2]) }), 'trending 1e308');
  });
});

describe('links', () => {
  const stored = async (paperId: string) => {
    const rowId = Number(/^Paper:(\d+)$/.exec(Buffer.from(paperId, 'base64url').toString())?.[1]);
    return t.db
      .selectFrom('papers')
      .select(['project_url', 'github_url'])
      .where('id', '=', rowId)
      .executeTakeFirstOrThrow();
  };
  const create = async (input: Record<string, unknown>) => {
    const result = await send(CREATE, { input }, keys.write);
    expect(result.errors).toBeUndefined();
    const answer = result.data?.createPaper as Typed & { paper: { id: string; projectUrl: string; githubUrl: string } };
    expect(answer.__typename).toBe('CreatePaperPayload');
    return answer.paper;
  };

  it('are stored as the URL standard writes them: scheme slashes added, unsafe characters percent-encoded', async () => {
    const a = await create({ title: `Links ${randomBytes(3).toString('hex')} a`, projectUrl: 'https:example.com' });
    expect(a.projectUrl).toBe('https://example.com/');
    expect((await stored(a.id)).project_url).toBe('https://example.com/');
    const b = await create({ title: `Links ${randomBytes(3).toString('hex')} b`, projectUrl: 'http:/x.org' });
    expect(b.projectUrl).toBe('http://x.org/');
    expect((await stored(b.id)).project_url).toBe('http://x.org/');
    const c = await create({
      title: `Links ${randomBytes(3).toString('hex')} c`,
      projectUrl: 'https://example.com/a "quoted" <b>\nnext?q="x"<y>',
    });
    const url = (await stored(c.id)).project_url ?? '';
    expect(c.projectUrl).toBe(url);
    expect(url).not.toMatch(/["<>\n\r ]/);
    // The WHATWG URL standard: newlines are dropped; spaces, quotes and angle brackets percent-encoded.
    expect(url).toBe('https://example.com/a%20%22quoted%22%20%3Cb%3Enext?q=%22x%22%3Cy%3E');
    const d = await create({
      title: `Links ${randomBytes(3).toString('hex')} d`,
      githubUrl: 'https://github.com/owner/repo/tree/main',
    });
    expect(d.githubUrl).toBe('https://github.com/owner/repo');
    expect((await stored(d.id)).github_url).toBe('https://github.com/owner/repo');
  });

  it('that are not http(s), or not a repository on GitHub, are ValidationErrors, with nothing written', async () => {
    const before = await counts();
    for (const projectUrl of ['javascript:alert(1)', 'ftp://x.org']) {
      expectValidationError(
        await send(CREATE, { input: { title: `Bad link ${projectUrl}`, projectUrl } }, keys.write),
        'createPaper',
        ['input.projectUrl'],
      );
    }
    expectValidationError(
      await send(
        CREATE,
        { input: { title: 'Bad repository link', githubUrl: 'https://github.com/../..' } },
        keys.write,
      ),
      'createPaper',
      ['input.githubUrl'],
    );
    const { id, row } = await samplePaper();
    expectValidationError(
      await send(UPDATE, { input: { id, projectUrl: 'javascript:alert(1)' } }, keys.write),
      'updatePaper',
      ['input.projectUrl'],
    );
    expect(await t.db.selectFrom('papers').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow()).toEqual(row);
    expect(await counts()).toEqual(before);
  });
});

describe('text too long', () => {
  it('is a ValidationError naming the field, with nothing written', async () => {
    const before = await counts();
    const cjkTitle = '語'.repeat(1000);
    expect(Buffer.byteLength(cjkTitle)).toBe(3000);
    const cases: [string, Record<string, unknown>, string][] = [
      ['a title of 1,000 CJK characters (3,000 bytes)', { title: cjkTitle }, 'input.title'],
      [
        'an author name of 8,000 characters',
        { title: 'Long author', authors: ['Ada', 'x'.repeat(8000)] },
        'input.authors',
      ],
      [
        'an organization of 8,000 characters',
        { title: 'Long organization', organization: 'o'.repeat(8000) },
        'input.organization',
      ],
      [
        'a 900 KB project link',
        { title: 'Long link', projectUrl: `https://example.com/${'p'.repeat(900_000)}` },
        'input.projectUrl',
      ],
      [
        '50 keywords of 18 KB',
        { title: 'Long keywords', keywords: Array.from({ length: 50 }, (_, i) => `${i}${'k'.repeat(18_000)}`) },
        'input.keywords',
      ],
    ];
    for (const [what, input, field] of cases) {
      const result = await send(CREATE, { input }, keys.write);
      expect({ what, status: result.status }).toEqual({ what, status: 200 });
      expectValidationError(result, 'createPaper', [field]);
    }
    const topic = await send(
      'mutation ($input: CreateTopicInput!) { createTopic(input: $input) { __typename ... on ValidationError { issues { field } } } }',
      { input: { slug: `a${'-b'.repeat(4096)}`, name: 'Long slug', parent: 'language-models' } },
      keys.admin,
    );
    expectValidationError(topic, 'createTopic', ['input.slug']);
    expect(await counts()).toEqual(before);
  });
});

describe('versioned arXiv ids', () => {
  it('name the same paper: found by any version, stored without one, a conflict when created again', async () => {
    const first = await send(
      CREATE_OR_CONFLICT,
      { input: { title: 'Versions of one paper', arxivId: '2507.00001' } },
      keys.write,
    );
    const created = first.data?.createPaper as Typed & { paper: { id: string; arxivId: string } };
    expect(created.__typename).toBe('CreatePaperPayload');
    const found = await send('{ paper(arxivId: "2507.00001v3") { id arxivId } }');
    expect(found.errors).toBeUndefined();
    expect(found.data?.paper).toEqual({ id: created.paper.id, arxivId: '2507.00001' });
    const many = await send('query ($ids: [String!]!) { papersByArxivIds(arxivIds: $ids) { id } }', {
      ids: ['2507.00001v2', '2507.99999'],
    });
    expect(many.errors).toBeUndefined();
    expect(many.data?.papersByArxivIds).toEqual([{ id: created.paper.id }, null]);

    const second = await send(
      CREATE_OR_CONFLICT,
      { input: { title: 'A second versioned paper', arxivId: '2507.00002v2' } },
      keys.write,
    );
    expect(second.data?.createPaper).toMatchObject({
      __typename: 'CreatePaperPayload',
      paper: { arxivId: '2507.00002' },
    });
    const rows = await t.db
      .selectFrom('papers')
      .select('arxiv_id')
      .where('arxiv_id', 'like', '2507.0000%')
      .orderBy('arxiv_id')
      .execute();
    expect(rows.map((r) => r.arxiv_id)).toEqual(['2507.00001', '2507.00002']);

    const before = await counts();
    const again = await send(
      CREATE_OR_CONFLICT,
      { input: { title: 'The same paper, version 5', arxivId: '2507.00001v5' } },
      keys.write,
    );
    expect(again.data?.createPaper).toEqual({
      __typename: 'PaperConflictError',
      field: 'input.arxivId',
      existingPaper: { id: created.paper.id, arxivId: '2507.00001' },
    });
    expect(await counts()).toEqual(before);
  });
});
