import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../src/db/prepare.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { extractLinks, parseDailyPage } from '../../src/import/daily-page.ts';
import { importFile } from '../../src/import/import-file.ts';
import { upsertPaperRecords } from '../../src/import/upsert.ts';
import { loadTagger } from '../../src/topics/tag-papers.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { allPapers, countRows, record } from '../helpers/fixtures.ts';

const sampleText = readFileSync(SAMPLE_FILE, 'utf8');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'papergraph-import-'));
const writeTmp = (name: string, text: string) => {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
};

describe('parseDailyPage on the bundled page', () => {
  const result = parseDailyPage(sampleText);
  // Expectations counted from the file itself, not from a run of the parser.
  const titleLines = sampleText
    .split('\n')
    .filter(
      (_, i, lines) => lines[i + 1] === '' && /^[A-Z]/.test(lines[i + 2] ?? '') && (lines[i + 2]?.length ?? 0) > 200,
    );

  it('reads every paper and the listing day, with no problems', () => {
    expect(result.problems).toEqual([]);
    expect(result.records).toHaveLength(titleLines.length);
    expect(result.records).toHaveLength(47);
    expect(result.listingDay).toBe('Jan 8');
  });

  it('leaves authors, date and upvotes unknown where the page shows none', () => {
    const [first, second, third] = result.records;
    expect(first).toMatchObject({ authorsCount: null, publishedAt: null, upvotes: null, featuredOn: null });
    expect(second).toMatchObject({ authorsCount: null, publishedAt: null, upvotes: null });
    expect(third).toMatchObject({
      title: 'LLM2LLM: Boosting LLMs with Novel Iterative Data Enhancement',
      authorsCount: 9,
      publishedAt: '2024-03-22',
      upvotes: 2,
    });
  });

  it('reads a date line without upvotes as unknown upvotes', () => {
    const tiny = result.records.find((r) => r.title === 'Tiny language models');
    expect(tiny).toMatchObject({ authorsCount: 5, publishedAt: '2025-07-20', upvotes: null });
  });

  it('reads an organization line in place of the authors line', () => {
    const fineweb = result.records.find((r) => r.title.startsWith('FineWeb2'));
    expect(fineweb).toMatchObject({
      organization: { name: 'HuggingFaceFW', displayName: 'FineData' },
      authorsCount: null,
      publishedAt: '2025-06-25',
      upvotes: 1,
    });
  });

  it('takes GitHub and project links from abstracts', () => {
    expect(result.records[0]?.projectUrl).toBe('https://yuemingpan.github.io/SFD.github.io/');
    expect(result.records.find((r) => r.title === 'Tiny language models')?.githubUrl).toBe(
      'https://github.com/Rg32601/Tiny-Language-Models',
    );
    const helen = result.records.find((r) => r.title.startsWith("TinyHelen's"));
    expect(helen?.githubUrl).toBe('https://github.com/EmpathYang/TinyHelen');
  });
});

describe('extractLinks', () => {
  it('ignores model and dataset hubs and strips trailing punctuation', () => {
    expect(
      extractLinks(
        'Models at https://huggingface.co/x/y. Code: https://github.com/a/b/tree/main, site https://a.io/p.',
      ),
    ).toEqual({ githubUrl: 'https://github.com/a/b', projectUrl: 'https://a.io/p' });
    expect(extractLinks('no links here')).toEqual({ githubUrl: null, projectUrl: null });
  });
});

describe('malformed pages', () => {
  const page = [
    'Daily Papers',
    '',
    'Jan 8',
    '',
    'Good Paper One',
    '',
    'An abstract long enough to be an abstract about pre-training language models on web data.',
    '',
    '  • 3 authors',
    '·',
    'Mar 22, 2024 2',
    '',
    'Paper Without Abstract',
    '  • 4 authors',
    '·',
    'Jun 4, 2024',
    '',
    'Paper With Impossible Date',
    '',
    'Another abstract, also about language models and their training data, long enough.',
    '  • 2 authors',
    '·',
    'Feb 30, 2024 1',
    '',
    'Paper With Broken Date Line',
    '',
    'A third abstract about diffusion models for image generation with text prompts.',
    '  • 2 authors',
    '·',
    'sometime in 2024',
    '',
    'Good Paper Two',
    '',
    'The last abstract, about reinforcement learning from human feedback for chat models.',
  ].join('\n');

  it('reports each bad block with its line number and keeps the good ones', () => {
    const result = parseDailyPage(page, 'page.txt');
    expect(result.records.map((r) => r.title)).toEqual(['Good Paper One', 'Good Paper Two']);
    expect(result.problems.map((p) => [p.line, p.message])).toEqual([
      [13, expect.stringContaining('has no abstract')],
      [23, expect.stringContaining('not a real date')],
      [30, expect.stringContaining('expected a date line')],
    ]);
    expect(result.problems.every((p) => p.source === 'page.txt')).toBe(true);
  });
});

describe('importing into the database', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(() => t.destroy());

  it('imports the page once: a second import changes nothing', async () => {
    const first = await importFile(t.db, SAMPLE_FILE);
    expect(first).toMatchObject({ read: 47, created: 47, updated: 0, unchanged: 0, skipped: 0 });
    const before = await allPapers(t.db);
    const topicsBefore = await countRows(t.db, 'paper_topics');

    const second = await importFile(t.db, SAMPLE_FILE);
    expect(second).toMatchObject({ read: 47, created: 0, updated: 0, unchanged: 47, skipped: 0 });
    expect(await allPapers(t.db)).toEqual(before);
    expect(await countRows(t.db, 'paper_topics')).toBe(topicsBefore);
    expect(await countRows(t.db, 'organizations')).toBe(1);
  });

  it('tags every paper with 1 to 4 topics without children', async () => {
    const rows = await t.db
      .selectFrom('paper_topics as pt')
      .innerJoin('topics as t', 't.id', 'pt.topic_id')
      .select(['pt.paper_id', 't.id', 'pt.score'])
      .execute();
    const perPaper = new Map<number, number>();
    for (const r of rows) perPaper.set(r.paper_id, (perPaper.get(r.paper_id) ?? 0) + 1);
    for (const n of perPaper.values()) {
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(4);
    }
    const parents = await t.db.selectFrom('topics').select('parent_id').where('parent_id', 'is not', null).execute();
    const parentIds = new Set(parents.map((p) => p.parent_id));
    expect(rows.filter((r) => parentIds.has(r.id))).toEqual([]);
  });

  it('matches a paper without an arXiv id on its normalized title, and updates what changed', async () => {
    const [paper] = await t.db.selectFrom('papers').selectAll().where('title', '=', 'Tiny language models').execute();
    const reworded = record({
      title: '  TINY   Language-Models ',
      abstract: paper?.abstract ?? '',
      upvotes: 7,
      authorsCount: 5,
    });
    const { counts, ids } = await inTransaction(t.db, async (trx) =>
      upsertPaperRecords(trx, [reworded], await loadTagger(trx)),
    );
    expect(counts).toEqual({ created: 0, updated: 1, unchanged: 0 });
    expect(ids).toEqual([paper?.id]);
    const after = await t.db
      .selectFrom('papers')
      .selectAll()
      .where('id', '=', paper?.id ?? 0)
      .executeTakeFirstOrThrow();
    expect(after.upvotes).toBe(7);
    expect(after.published_at).toBe('2025-01-15');
    expect(await countRows(t.db, 'papers')).toBe(47);
  });

  it('records the listing day only when told which day it is', async () => {
    const file = writeTmp(
      'one.txt',
      'Daily Papers\n\nJan 8\n\nA Fresh Paper Title\n\nSome abstract about diffusion models for image generation.\n',
    );
    await importFile(t.db, file, { featuredOn: '2026-01-08' });
    const row = await t.db
      .selectFrom('papers')
      .selectAll()
      .where('title', '=', 'A Fresh Paper Title')
      .executeTakeFirstOrThrow();
    expect(row.featured_on).toBe('2026-01-08');
  });

  it('writes nothing when a record fails in the database', async () => {
    const before = await countRows(t.db, 'papers');
    const good = record({ title: 'Good new paper', arxivId: '2501.00001' });
    const bad = record({ title: 'Bad new paper', arxivId: '2501.00002', upvotes: -5 });
    await expect(
      inTransaction(t.db, async (trx) => upsertPaperRecords(trx, [good, bad], await loadTagger(trx))),
    ).rejects.toThrow(/upvotes/);
    expect(await countRows(t.db, 'papers')).toBe(before);
  });
});
