// After a write commits, its answer needs no database: the paper the payload shows was read
// back inside the write's transaction. A read after the commit could fail (a full pool, an
// outage) and answer an error for a write that happened, which a client would then retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { loadSample } from '../helpers/fixtures.ts';
import { gqlData } from '../helpers/gql.ts';

let t: TestDb;
let app: App;
let key = '';
let paperId = '';

const PAPER = 'paper { id title abstract keywords upvotes topics { slug name } topicScores { score topic { slug } } }';

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  key = (await createApiKey(t.db, 'writer', ['write'])).key;
  app = await createApp({ db: t.db });
  const data = await gqlData<{ papers: { nodes: { id: string }[] } }>(app, '{ papers(first: 1) { nodes { id } } }');
  paperId = data.papers.nodes[0]?.id ?? '';
});

afterAll(() => t?.destroy());

/** The statements a request sent after its last COMMIT. */
async function afterCommit(query: string, variables: Record<string, unknown>): Promise<string[]> {
  t.statements.reset();
  const data = await gqlData<Record<string, { __typename: string }>>(app, query, variables, { key });
  expect(Object.values(data)[0]?.__typename).toMatch(/Payload$/);
  const last = t.statements.sql.map((s) => s.trim().toLowerCase()).lastIndexOf('commit');
  expect(last, 'the write ran in a transaction').toBeGreaterThanOrEqual(0);
  return t.statements.sql.slice(last + 1);
}

describe('a write’s answer', () => {
  const cases: [string, string, () => Record<string, unknown>][] = [
    [
      'createPaper',
      `mutation ($title: String!) { createPaper(input: { title: $title, abstract: "Agents that browse the web." }) { __typename ... on CreatePaperPayload { ${PAPER} } } }`,
      () => ({ title: 'Read back inside its own transaction' }),
    ],
    [
      'updatePaper',
      `mutation ($id: ID!) { updatePaper(input: { id: $id, abstract: "A new abstract about video diffusion." }) { __typename ... on UpdatePaperPayload { ${PAPER} } } }`,
      () => ({ id: paperId }),
    ],
    [
      'upvotePaper',
      `mutation ($id: ID!) { upvotePaper(input: { id: $id }) { __typename ... on UpvotePaperPayload { changed ${PAPER} } } }`,
      () => ({ id: paperId }),
    ],
    [
      'removeUpvote',
      `mutation ($id: ID!) { removeUpvote(input: { id: $id }) { __typename ... on RemoveUpvotePayload { changed ${PAPER} } } }`,
      () => ({ id: paperId }),
    ],
    [
      'setPaperTopics',
      `mutation ($id: ID!) { setPaperTopics(input: { id: $id, topics: [{ slug: "llm-agents" }] }) { __typename ... on SetPaperTopicsPayload { ${PAPER} } } }`,
      () => ({ id: paperId }),
    ],
  ];
  for (const [name, query, variables] of cases) {
    it(`${name}: sends no statement after its commit`, async () => {
      expect(await afterCommit(query, variables())).toEqual([]);
    });
  }
});
