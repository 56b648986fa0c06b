import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { revokeApiKey } from '../../src/db/queries/api-keys.ts';
import { type App, createApp } from '../../src/yoga.ts';
import { apiEntry } from '../helpers/api-records.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { countRows, loadSample } from '../helpers/fixtures.ts';
import { gql } from '../helpers/gql.ts';

let t: TestDb;
let app: App;
const keys = { write: '', admin: '', revoked: '' };

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  keys.write = (await createApiKey(t.db, 'writer', ['write'])).key;
  keys.admin = (await createApiKey(t.db, 'admin', ['admin'])).key;
  const revoked = await createApiKey(t.db, 'old', ['write']);
  await revokeApiKey(t.db, revoked.row.id);
  keys.revoked = revoked.key;
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

interface Result {
  status: number;
  data?: Record<string, Record<string, unknown> & { __typename: string }> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A mutation's result, typed as the test expects it; fails when the field is missing. */
function payload<T>(result: Result, name: string): T {
  const value = result.data?.[name];
  if (!value) throw new Error(`no ${name} in ${JSON.stringify(result)}`);
  return value as unknown as T;
}

const send = (query: string, variables: Record<string, unknown>, key?: string) =>
  gql(app, query, variables, { key }) as Promise<Result>;

const CREATE = /* GraphQL */ `
  mutation ($input: CreatePaperInput!) {
    createPaper(input: $input) {
      __typename
      ... on CreatePaperPayload { clientMutationId paper { id title arxivId authorsCount authors { name } topics { slug } organization { name } } }
      ... on ValidationError { message issues { field message } }
      ... on PaperConflictError { field existingPaper { id title } }
      ... on ForbiddenError { message }
    }
  }
`;

const newPaper = {
  title: 'Tool-Using LLM Agents for Web Navigation',
  abstract: 'We train LLM agents that browse the web and call tools, with reinforcement learning.',
  authors: ['Ada Lovelace', 'Alan Turing'],
  arxivId: '2601.00001',
  organization: 'agents-lab',
  githubUrl: 'https://github.com/agents/web',
  clientMutationId: 'c1',
};

async function createPaper(input: Record<string, unknown>) {
  const result = await send(CREATE, { input }, keys.write);
  const created = payload<{ __typename: string; paper: { id: string } }>(result, 'createPaper');
  expect(created.__typename).toBe('CreatePaperPayload');
  return created.paper.id;
}

describe('API keys', () => {
  it('reads are public; a write without a key is a ForbiddenError, with nothing written', async () => {
    const before = await countRows(t.db, 'papers');
    const result = await send(CREATE, { input: newPaper });
    expect(result.data?.createPaper).toEqual({
      __typename: 'ForbiddenError',
      message: expect.stringMatching(/needs an API key/),
    });
    expect(await countRows(t.db, 'papers')).toBe(before);
    expect((await send('{ papers(first: 1) { totalCount } }', {})).data?.papers).toEqual({ totalCount: before });
  });

  it('a wrong or revoked key is refused with 401 UNAUTHENTICATED, never data', async () => {
    for (const [key, message] of [
      ['pg_not-a-real-key', /not valid/],
      [keys.revoked, /revoked/],
    ] as const) {
      const result = await send('{ papers(first: 1) { totalCount } }', {}, key);
      expect(result.status).toBe(401);
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]).toMatchObject({
        message: expect.stringMatching(message),
        extensions: { code: 'UNAUTHENTICATED' },
      });
    }
  });

  it('a write key cannot do what needs admin', async () => {
    const result = await send(
      'mutation { createTopic(input: { slug: "x", name: "X" }) { __typename } }',
      {},
      keys.write,
    );
    expect(result.data?.createTopic).toEqual({ __typename: 'ForbiddenError' });
  });
});

describe('papers', () => {
  it('createPaper stores, tags and returns the paper', async () => {
    const result = await send(CREATE, { input: newPaper }, keys.write);
    expect(result.data?.createPaper).toMatchObject({
      __typename: 'CreatePaperPayload',
      clientMutationId: 'c1',
      paper: {
        title: newPaper.title,
        arxivId: '2601.00001',
        authorsCount: 2,
        authors: [{ name: 'Ada Lovelace' }, { name: 'Alan Turing' }],
        organization: { name: 'agents-lab' },
      },
    });
    const topics = payload<{ paper: { topics: { slug: string }[] } }>(result, 'createPaper').paper.topics.map(
      (x) => x.slug,
    );
    expect(topics).toContain('llm-agents');
  });

  it('createPaper reports every invalid field as a ValidationError, and a duplicate as a PaperConflictError', async () => {
    const bad = await send(
      CREATE,
      { input: { title: '  ', githubUrl: 'https://gitlab.com/x', authorsCount: 0, arxivId: 'nope' } },
      keys.write,
    );
    expect(bad.data?.createPaper).toMatchObject({ __typename: 'ValidationError' });
    const fields = payload<{ issues: { field: string }[] }>(bad, 'createPaper')
      .issues.map((i) => i.field)
      .sort();
    expect(fields).toEqual(['input.arxivId', 'input.authorsCount', 'input.githubUrl', 'input.title']);
    const duplicate = await send(CREATE, { input: { title: 'Another title', arxivId: '2601.00001' } }, keys.write);
    expect(duplicate.data?.createPaper).toMatchObject({
      __typename: 'PaperConflictError',
      field: 'input.arxivId',
      existingPaper: { title: newPaper.title },
    });
    const sameTitle = await send(CREATE, { input: { title: 'tiny LANGUAGE models.' } }, keys.write);
    expect(sameTitle.data?.createPaper).toMatchObject({
      __typename: 'PaperConflictError',
      field: 'input.title',
      existingPaper: { title: 'Tiny language models' },
    });
  });

  it('updatePaper changes the given fields and re-tags; unknown ids are NotFoundError', async () => {
    const id = await createPaper({
      title: 'Speech recognition with small models',
      abstract: 'Automatic speech recognition (ASR) for low-resource languages.',
    });
    const UPDATE = `mutation ($input: UpdatePaperInput!) { updatePaper(input: $input) { __typename ... on UpdatePaperPayload { paper { title projectUrl topics { slug } } } ... on NotFoundError { message } } }`;
    const result = await send(
      UPDATE,
      {
        input: {
          id,
          title: 'Text-to-image diffusion models',
          abstract: 'A diffusion model for text-to-image generation.',
          projectUrl: 'https://example.org',
        },
      },
      keys.write,
    );
    expect(result.data?.updatePaper).toMatchObject({
      __typename: 'UpdatePaperPayload',
      // Links are stored as the URL parser writes them back.
      paper: { title: 'Text-to-image diffusion models', projectUrl: 'https://example.org/' },
    });
    const topics = payload<{ paper: { topics: { slug: string }[] } }>(result, 'updatePaper').paper.topics.map(
      (x) => x.slug,
    );
    expect(topics).toContain('image-generation');
    expect(topics).not.toContain('speech-audio');
    const missing = await send(
      UPDATE,
      { input: { id: Buffer.from('Paper:999999').toString('base64url'), title: 'x' } },
      keys.write,
    );
    expect(missing.data?.updatePaper).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('deletePaper removes the paper and what hangs off it', async () => {
    const id = await createPaper({ title: 'A paper to delete', authors: ['Grace Hopper'] });
    const DELETE = `mutation ($id: ID!) { deletePaper(input: { id: $id }) { __typename ... on DeletePaperPayload { deletedPaperId } } }`;
    expect((await send(DELETE, { id }, keys.write)).data?.deletePaper).toEqual({
      __typename: 'DeletePaperPayload',
      deletedPaperId: id,
    });
    expect((await send(DELETE, { id }, keys.write)).data?.deletePaper).toEqual({ __typename: 'NotFoundError' });
    expect((await send('query ($id: ID!) { node(id: $id) { id } }', { id })).data?.node).toBeNull();
  });

  it('upvotes: one per key, taken back once', async () => {
    const id = await createPaper({ title: 'A paper to upvote' });
    const other = (await createApiKey(t.db, 'other', ['write'])).key;
    const UP = `mutation ($id: ID!) { upvotePaper(input: { id: $id }) { ... on UpvotePaperPayload { changed paper { upvotes } } } }`;
    const DOWN = `mutation ($id: ID!) { removeUpvote(input: { id: $id }) { ... on RemoveUpvotePayload { changed paper { upvotes } } } }`;
    expect((await send(UP, { id }, keys.write)).data?.upvotePaper).toEqual({ changed: true, paper: { upvotes: 1 } });
    expect((await send(UP, { id }, keys.write)).data?.upvotePaper).toEqual({ changed: false, paper: { upvotes: 1 } });
    expect((await send(UP, { id }, other)).data?.upvotePaper).toEqual({ changed: true, paper: { upvotes: 2 } });
    expect((await send(DOWN, { id }, keys.write)).data?.removeUpvote).toEqual({ changed: true, paper: { upvotes: 1 } });
    expect((await send(DOWN, { id }, keys.write)).data?.removeUpvote).toEqual({
      changed: false,
      paper: { upvotes: 1 },
    });
  });

  it('setPaperTopics: manual topics win over the tagger, until cleared', async () => {
    const id = await createPaper({
      title: 'Retrieval-augmented generation for question answering',
      abstract: 'RAG with a dense retriever.',
    });
    const SET = `mutation ($input: SetPaperTopicsInput!) { setPaperTopics(input: $input) { __typename ... on SetPaperTopicsPayload { paper { topicScores { score topic { slug } } } } ... on ValidationError { issues { field message } } } }`;
    const set = await send(
      SET,
      { input: { id, topics: [{ slug: 'biomedical', score: 0.9 }, { slug: 'finance' }] } },
      keys.write,
    );
    expect(set.data?.setPaperTopics).toEqual({
      __typename: 'SetPaperTopicsPayload',
      paper: {
        topicScores: [
          { score: 1, topic: { slug: 'finance' } },
          { score: 0.9, topic: { slug: 'biomedical' } },
        ],
      },
    });
    // Re-tagging (a text change) leaves manual topics alone.
    await send(
      `mutation ($id: ID!) { updatePaper(input: { id: $id, abstract: "Diffusion models for video generation." }) { __typename } }`,
      { id },
      keys.write,
    );
    const after = await send('query ($id: ID!) { node(id: $id) { ... on Paper { topics { slug } } } }', { id });
    expect(after.data?.node).toEqual({ topics: [{ slug: 'finance' }, { slug: 'biomedical' }] });
    const bad = await send(
      SET,
      { input: { id, topics: [{ slug: 'vision' }, { slug: 'nope' }, { slug: 'rag', score: 2 }] } },
      keys.write,
    );
    expect(payload<{ issues: { field: string }[] }>(bad, 'setPaperTopics').issues.map((i) => i.field)).toEqual([
      'input.topics.0.slug',
      'input.topics.1.slug',
      'input.topics.2.score',
    ]);
    const cleared = await send(SET, { input: { id, topics: [] } }, keys.write);
    const slugs = payload<{ paper: { topicScores: { topic: { slug: string } }[] } }>(
      cleared,
      'setPaperTopics',
    ).paper.topicScores.map((x) => x.topic.slug);
    // Back with the tagger: topics from the text again, not the manual ones.
    expect(slugs).toContain('rag');
    expect(slugs).not.toContain('finance');
  });
});

describe('topics and imports (admin)', () => {
  it('createTopic adds a topic with rules and re-tags the papers they match', async () => {
    const CREATE_TOPIC = `mutation ($input: CreateTopicInput!) { createTopic(input: $input) { __typename ... on CreateTopicPayload { retaggedPapers topic { slug parent { slug } paperCount } } ... on ValidationError { issues { field message } } } }`;
    const input = {
      slug: 'tiny-models',
      name: 'Tiny models',
      parent: 'language-models',
      rules: [{ pattern: 'tiny (language )?models?', weight: 5 }],
    };
    const result = await send(CREATE_TOPIC, { input }, keys.admin);
    expect(result.data?.createTopic).toMatchObject({
      __typename: 'CreateTopicPayload',
      topic: { slug: 'tiny-models', parent: { slug: 'language-models' } },
    });
    const expected = await sql<{
      n: number;
    }>`select count(*)::int as n from papers where title ~* '\\ytiny (language )?models?\\y' or abstract ~* '\\ytiny (language )?models?\\y'`.execute(
      t.db,
    );
    const created = payload<{ retaggedPapers: number; topic: { paperCount: number } }>(result, 'createTopic');
    expect(created.retaggedPapers).toBe(expected.rows[0]?.n);
    expect(created.topic.paperCount).toBeGreaterThan(0);
    const again = await send(
      CREATE_TOPIC,
      { input: { ...input, parent: 'pre-training', rules: [{ pattern: '(unclosed', weight: 1 }] } },
      keys.admin,
    );
    expect(payload<{ issues: { field: string }[] }>(again, 'createTopic').issues.map((i) => i.field)).toEqual([
      'input.slug',
      'input.parent',
      'input.rules.0.pattern',
    ]);
  });

  it('updateTopic replaces rules and re-tags; a failing change leaves nothing behind', async () => {
    const UPDATE_TOPIC = `mutation ($input: UpdateTopicInput!) { updateTopic(input: $input) { __typename ... on UpdateTopicPayload { retaggedPapers topic { name paperCount } } ... on ValidationError { issues { field } } } }`;
    const result = await send(
      UPDATE_TOPIC,
      { input: { slug: 'tiny-models', name: 'Small models', rules: [{ pattern: 'small language models?' }] } },
      keys.admin,
    );
    expect(result.data?.updateTopic).toMatchObject({
      __typename: 'UpdateTopicPayload',
      topic: { name: 'Small models' },
    });
    // JavaScript accepts \p{L} here but PostgreSQL's regular expressions do not: the change fails and is undone.
    const failing = await send(
      UPDATE_TOPIC,
      { input: { slug: 'tiny-models', name: 'Renamed', rules: [{ pattern: 'x\\p{L}' }] } },
      keys.admin,
    );
    expect(failing.data?.updateTopic).toMatchObject({ __typename: 'ValidationError' });
    const row = await t.db.selectFrom('topics').select('name').where('slug', '=', 'tiny-models').executeTakeFirst();
    expect(row?.name).toBe('Small models');
    const rules = await t.db
      .selectFrom('topic_rules as r')
      .innerJoin('topics as x', 'x.id', 'r.topic_id')
      .select('r.pattern')
      .where('x.slug', '=', 'tiny-models')
      .execute();
    expect(rules.map((r) => r.pattern)).toEqual(['small language models?']);
  });

  it('importPapers imports content, reports bad records, and refuses content over the limit', async () => {
    const IMPORT = `mutation ($input: ImportPapersInput!) { importPapers(input: $input) { __typename ... on ImportPapersPayload { read created skipped problems { line message } } ... on ValidationError { issues { field message } } } }`;
    const content = [JSON.stringify(apiEntry({ paper: { id: '2602.00001' } })), 'not json'].join('\n');
    const result = await send(IMPORT, { input: { format: 'HF_JSONL', content } }, keys.admin);
    expect(result.data?.importPapers).toEqual({
      __typename: 'ImportPapersPayload',
      read: 2,
      created: 1,
      skipped: 1,
      problems: [{ line: 2, message: expect.stringMatching(/not valid JSON/) }],
    });
    const strict = await send(
      IMPORT,
      {
        input: {
          format: 'HF_JSONL',
          content: [JSON.stringify(apiEntry({ paper: { id: '2602.00002' } })), 'not json'].join('\n'),
          strict: true,
        },
      },
      keys.admin,
    );
    expect(strict.data?.importPapers).toMatchObject({ __typename: 'ValidationError' });
    expect(await t.db.selectFrom('papers').select('id').where('arxiv_id', '=', '2602.00002').execute()).toEqual([]);
    const big = await send(IMPORT, { input: { format: 'HF_JSONL', content: 'x'.repeat(1_000_001) } }, keys.admin);
    expect(big.data?.importPapers).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ field: 'input.content' }],
    });
    expect(
      (await send(IMPORT, { input: { format: 'HF_JSONL', content } }, keys.write)).data?.importPapers,
    ).toMatchObject({ __typename: 'ForbiddenError' });
  });
});
