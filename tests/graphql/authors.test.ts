import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../../src/import/import-file.ts';
import { type App, createApp } from '../../src/yoga.ts';
import { apiEntry, writeJsonl } from '../helpers/api-records.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { gql, gqlData } from '../helpers/gql.ts';

let t: TestDb;
let app: App;
const NAMES = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra', 'Barbara Liskov'];

beforeAll(async () => {
  t = await createTestDb();
  // 60 papers; authors drawn from a small pool so that each author has several papers.
  const entries = Array.from({ length: 60 }, (_, i) =>
    apiEntry({
      paper: {
        id: `2508.${String(i).padStart(5, '0')}`,
        title: `Paper ${i} on ${['video generation', 'LLM agents', 'speech recognition'][i % 3]}`,
        authors: [0, 1, 2].map((k) => ({ name: NAMES[(i + k) % NAMES.length], hidden: k === 2 && i % 2 === 0 })),
        publishedAt: `2025-03-${String((i % 28) + 1).padStart(2, '0')}`,
        organization:
          i % 4 === 0
            ? { name: 'big-lab', fullname: 'Big Lab' }
            : i % 10 === 1
              ? { name: 'small-lab', fullname: null }
              : undefined,
        githubStars: i,
      },
    }),
  );
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'papergraph-authors-'));
  await importFile(t.db, writeJsonl(path.join(tmp, 'papers.jsonl'), entries));
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

describe('authors', () => {
  it('Paper.authors lists names in order, hidden ones marked; API fields are exposed', async () => {
    const data = await gqlData<{
      paper: {
        authorsCount: number;
        keywords: string[];
        aiSummary: string;
        commentsCount: number;
        githubStars: number;
        authors: { name: string; position: number; hidden: boolean; author: { name: string } }[];
      };
    }>(
      app,
      '{ paper(arxivId: "2508.00004") { authorsCount keywords aiSummary commentsCount githubStars authors { name position hidden author { name } } } }',
    );
    expect(data.paper).toMatchObject({
      authorsCount: 3,
      keywords: ['LLM agents', 'tool use'],
      aiSummary: 'Agents that use tools.',
      commentsCount: 2,
      githubStars: 4,
    });
    expect(data.paper.authors).toEqual([
      { name: NAMES[4], position: 1, hidden: false, author: { name: NAMES[4] } },
      { name: NAMES[0], position: 2, hidden: false, author: { name: NAMES[0] } },
      { name: NAMES[1], position: 3, hidden: true, author: { name: NAMES[1] } },
    ]);
  });

  it("a list's abstracts, keywords and summaries load on demand, one statement for the page", async () => {
    t.statements.reset();
    const data = await gqlData<{
      papers: { nodes: { arxivId: string; abstract: string; keywords: string[]; aiSummary: string | null }[] };
    }>(
      app,
      '{ papers(first: 30, orderBy: { field: TITLE, direction: ASC }) { nodes { arxivId abstract keywords aiSummary } } }',
    );
    // The page, then the long texts of its 30 papers.
    expect(t.statements.count).toBe(2);
    const stored = await sql<{ arxiv_id: string; abstract: string; keywords: string[]; ai_summary: string | null }>`
      select arxiv_id, abstract, keywords, ai_summary from papers order by title, id limit 30`.execute(t.db);
    expect(data.papers.nodes).toEqual(
      stored.rows.map((r) => ({
        arxivId: r.arxiv_id,
        abstract: r.abstract,
        keywords: r.keywords,
        aiSummary: r.ai_summary,
      })),
    );
    expect(data.papers.nodes.every((n) => n.abstract.length > 0)).toBe(true);
  });

  it("an author's papers and count agree with SQL", async () => {
    const data = await gqlData<{
      author: { paperCount: number; papers: { totalCount: number; nodes: { authors: { name: string }[] }[] } };
    }>(
      app,
      `{ author(name: "${NAMES[2]}") { paperCount papers(first: 100) { totalCount nodes { authors { name } } } } }`,
    );
    const expected = await sql<{ n: number }>`
      select count(distinct pa.paper_id)::int as n from paper_authors pa join authors a on a.id = pa.author_id where a.name = ${NAMES[2]}`.execute(
      t.db,
    );
    expect(data.author.paperCount).toBe(expected.rows[0]?.n);
    expect(data.author.papers.totalCount).toBe(expected.rows[0]?.n);
    expect(data.author.papers.nodes.every((p) => p.authors.some((a) => a.name === NAMES[2]))).toBe(true);
    expect((await gql(app, '{ author(name: "Nobody") { name } }')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('organizations are listed by paper count, paged', async () => {
    const first = await gqlData<{
      organizations: {
        nodes: { name: string; displayName: string | null; paperCount: number }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    }>(app, '{ organizations(first: 1) { nodes { name displayName paperCount } pageInfo { hasNextPage endCursor } } }');
    expect(first.organizations.nodes).toEqual([{ name: 'big-lab', displayName: 'Big Lab', paperCount: 15 }]);
    const rest = await gqlData<{
      organizations: { nodes: { name: string; paperCount: number }[]; pageInfo: { hasNextPage: boolean } };
    }>(
      app,
      'query ($after: String) { organizations(first: 10, after: $after) { nodes { name paperCount } pageInfo { hasNextPage } } }',
      { after: first.organizations.pageInfo.endCursor },
    );
    expect(rest.organizations.nodes).toEqual([{ name: 'small-lab', paperCount: 6 }]);
    expect(rest.organizations.pageInfo.hasNextPage).toBe(false);
    const bad = await gql(app, '{ organizations(first: 101) { nodes { name } } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('batching with authors', () => {
  const QUERY = /* GraphQL */ `
    query ($first: Int!) {
      papers(first: $first) {
        nodes {
          authors(first: 10) { name author { paperCount papers(first: 3) { nodes { title authors(first: 10) { name } organization { name } } } } }
        }
      }
    }
  `;
  it('50 papers with their authors and each author’s other papers: a handful of statements, as for 2', async () => {
    const counts: number[] = [];
    for (const first of [2, 50]) {
      t.statements.reset();
      const data = await gqlData<{ papers: { nodes: { authors: { author: { papers: { nodes: unknown[] } } }[] }[] } }>(
        app,
        QUERY,
        { first },
      );
      expect(data.papers.nodes).toHaveLength(first);
      expect(
        data.papers.nodes.every(
          (p) => p.authors.length === 3 && p.authors.every((a) => a.author.papers.nodes.length === 3),
        ),
      ).toBe(true);
      counts.push(t.statements.count);
    }
    // Without batching, 50 papers would take hundreds of statements. The exact count can
    // differ by one with the data (no paper of a page with an organization: no org lookup).
    expect(counts[0]).toBeLessThanOrEqual(6);
    expect(counts[1]).toBeLessThanOrEqual(6);
  });
});
