import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../src/db/prepare.ts';
import { ImportError } from '../../src/import/import-error.ts';
import { importFile } from '../../src/import/import-file.ts';
import { detectFormat } from '../../src/import/read-text.ts';
import { apiEntry, writeJsonl } from '../helpers/api-records.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { countRows } from '../helpers/fixtures.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'papergraph-hf-'));
const file = (name: string) => path.join(tmp, name);
let t: TestDb;

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.destroy());

const paperByArxiv = (id: string) =>
  t.db.selectFrom('papers').selectAll().where('arxiv_id', '=', id).executeTakeFirst();

describe('the Daily Papers API format', () => {
  it('detects JSONL, JSON arrays and page text from the content', async () => {
    expect(await detectFormat(writeJsonl(file('d.jsonl'), [apiEntry()]))).toBe('hf-jsonl');
    writeFileSync(file('d.json'), JSON.stringify([apiEntry()]));
    expect(await detectFormat(file('d.json'))).toBe('hf-json');
    expect(await detectFormat(SAMPLE_FILE)).toBe('daily-page');
  });

  it('imports a record with every field: whitespace collapsed, authors in order, hidden ones marked', async () => {
    const entry = apiEntry({
      paper: {
        id: '2502.00001',
        githubRepo: 'https://github.com/org/repo.git',
        githubStars: 42,
        projectPage: 'https://example.org/project',
        organization: { name: 'acme-ai', fullname: 'ACME AI Lab' },
      },
    });
    const summary = await importFile(t.db, writeJsonl(file('one.jsonl'), [entry]));
    expect(summary).toMatchObject({ read: 1, created: 1, updated: 0, unchanged: 0, skipped: 0 });
    const paper = await paperByArxiv('2502.00001');
    expect(paper).toMatchObject({
      title: entry.paper.title.replace(/\s+/g, ' '),
      abstract: entry.paper.summary.replace(/\s+/g, ' '),
      authors_count: 2,
      published_at: '2025-01-02',
      featured_on: '2025-01-03',
      upvotes: 5,
      comments_count: 2,
      github_url: 'https://github.com/org/repo',
      github_stars: 42,
      project_url: 'https://example.org/project',
      keywords: ['LLM agents', 'tool use'],
      ai_summary: 'Agents that use tools.',
    });
    const authors = await t.db
      .selectFrom('paper_authors as pa')
      .innerJoin('authors as a', 'a.id', 'pa.author_id')
      .select(['a.name', 'pa.position', 'pa.hidden'])
      .where('pa.paper_id', '=', paper?.id ?? 0)
      .orderBy('pa.position')
      .execute();
    expect(authors).toEqual([
      { name: 'Ada Lovelace', position: 1, hidden: false },
      { name: 'Alan Turing', position: 2, hidden: true },
    ]);
    const org = await t.db.selectFrom('organizations').selectAll().where('name', '=', 'acme-ai').executeTakeFirst();
    expect(org?.display_name).toBe('ACME AI Lab');
    expect(paper?.organization_id).toBe(org?.id);
  });

  it('skips and reports each bad record with its line and reason, importing the rest', async () => {
    const lines = [
      apiEntry({ paper: { id: '2503.00001' } }),
      '{ this is not json',
      apiEntry({ paper: { id: undefined } }),
      apiEntry({ paper: { id: '2503.00003', title: '   ' } }),
      apiEntry({ paper: { id: '2503.00004', upvotes: -3 } }),
      apiEntry({ paper: { id: '2503.00005', publishedAt: 'yesterday' } }),
      apiEntry({ paper: { id: 'not-an-id' } }),
      '[1, 2]',
      apiEntry({ paper: { id: '2503.00009' } }),
    ];
    const before = await countRows(t.db, 'papers');
    const summary = await importFile(t.db, writeJsonl(file('bad.jsonl'), lines));
    expect(summary).toMatchObject({ read: 9, created: 2, skipped: 7 });
    expect(summary.problems.map((p) => [p.line, p.message])).toEqual([
      [2, expect.stringMatching(/^not valid JSON/)],
      [3, 'the record has no paper.id (arXiv id)'],
      [4, 'paper 2503.00003 has no title'],
      [5, expect.stringMatching(/paper\.upvotes must be a whole number .* got -3/)],
      [6, 'paper.publishedAt is not a date: "yesterday"'],
      [7, expect.stringMatching(/is not an arXiv id/)],
      [8, 'an entry must be a JSON object'],
    ]);
    expect(await countRows(t.db, 'papers')).toBe(before + 2);
  });

  it('skips a record holding a NUL character (which PostgreSQL text cannot hold), as everywhere, importing the rest', async () => {
    const entry = apiEntry({
      paper: { id: '2503.00100', title: 'A title\u0000 with NUL', summary: 'Abstract\u0000 too.' },
    });
    const good = apiEntry({ paper: { id: '2503.00101' } });
    const summary = await importFile(t.db, writeJsonl(file('nul.jsonl'), [entry, good]));
    expect(summary).toMatchObject({ created: 1, skipped: 1 });
    expect(summary.problems).toEqual([
      { source: file('nul.jsonl'), line: 1, message: 'paper.title must not contain the NUL character (U+0000)' },
    ]);
    expect(await paperByArxiv('2503.00100')).toBeUndefined();
  });

  it('--strict: the first bad record aborts the file with nothing written', async () => {
    const before = await countRows(t.db, 'papers');
    const lines = [apiEntry({ paper: { id: '2504.00001' } }), apiEntry({ paper: { id: '2504.00002' } }), 'oops'];
    const run = importFile(t.db, writeJsonl(file('strict.jsonl'), lines), { strict: true, batchSize: 1 });
    await expect(run).rejects.toThrow(ImportError);
    await expect(run).rejects.toThrow(/strict\.jsonl:3: not valid JSON/);
    expect(await countRows(t.db, 'papers')).toBe(before);
  });

  it('reads the API response shape (a JSON array per day)', async () => {
    writeFileSync(
      file('day.json'),
      JSON.stringify([apiEntry({ paper: { id: '2505.00001' } }), { paper: { id: '2505.00002' } }], null, 2),
    );
    const summary = await importFile(t.db, file('day.json'));
    expect(summary).toMatchObject({ read: 2, created: 1, skipped: 1 });
    expect(summary.problems[0]).toMatchObject({ line: 2, message: 'paper 2505.00002 has no title' });
    expect(await paperByArxiv('2505.00001')).toBeDefined();
  });

  it('re-importing changes nothing; a later record updates the paper, an older one only fills gaps', async () => {
    const first = apiEntry({ paper: { id: '2506.00001', upvotes: 3, ai_keywords: undefined } });
    const later = apiEntry({
      paper: {
        id: '2506.00001',
        upvotes: 9,
        githubRepo: 'https://github.com/a/b',
        organization: { name: 'lab', fullname: 'The Lab' },
        ai_keywords: ['diffusion'],
      },
      _file_date: '2025-02-01',
    });
    expect(await importFile(t.db, writeJsonl(file('v1.jsonl'), [first]))).toMatchObject({ created: 1 });
    expect(await importFile(t.db, writeJsonl(file('v1.jsonl'), [first]))).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 1,
    });
    expect(await importFile(t.db, writeJsonl(file('v2.jsonl'), [later]))).toMatchObject({ created: 0, updated: 1 });
    const paper = await paperByArxiv('2506.00001');
    expect(paper).toMatchObject({
      upvotes: 9,
      github_url: 'https://github.com/a/b',
      keywords: ['diffusion'],
      featured_on: '2025-01-03',
    });
    // The older record again: nothing it says is newer.
    expect(await importFile(t.db, writeJsonl(file('v1.jsonl'), [first]))).toMatchObject({ updated: 0, unchanged: 1 });
    expect(await t.db.selectFrom('papers').where('arxiv_id', '=', '2506.00001').select('id').execute()).toHaveLength(1);
  });

  it('a versioned arXiv id is the same paper as the bare one', async () => {
    const bare = apiEntry({ paper: { id: '2507.00001' } });
    const versioned = apiEntry({ paper: { id: ' 2507.00001v3', upvotes: 40 }, _file_date: '2025-02-01' });
    expect(await importFile(t.db, writeJsonl(file('bare.jsonl'), [bare]))).toMatchObject({ created: 1 });
    expect(await importFile(t.db, writeJsonl(file('versioned.jsonl'), [versioned]))).toMatchObject({
      created: 0,
      updated: 1,
    });
    expect(await paperByArxiv('2507.00001')).toMatchObject({ upvotes: 40 });
  });

  it('merges an API record into the page-text paper of the same (normalized) title', async () => {
    await importFile(t.db, SAMPLE_FILE);
    const before = await countRows(t.db, 'papers');
    const entry = apiEntry({
      paper: {
        id: '2406.02214',
        title: 'SLTRAIN: a sparse plus low-rank approach for parameter\n  and memory efficient pretraining',
      },
    });
    expect(await importFile(t.db, writeJsonl(file('merge.jsonl'), [entry]))).toMatchObject({ created: 0, updated: 1 });
    expect(await countRows(t.db, 'papers')).toBe(before);
    const paper = await paperByArxiv('2406.02214');
    expect(paper?.authors_count).toBe(2);
  });

  it('an interrupted import keeps whole batches and can be run again', async () => {
    // A trigger stands in for a crash half-way: the third batch fails in the database.
    await sql`create function fail_on_marker() returns trigger language plpgsql as $$
      begin if new.title like 'CRASH%' then raise exception 'simulated crash'; end if; return new; end $$`.execute(
      t.db,
    );
    await sql`create trigger crash before insert on papers for each row execute function fail_on_marker()`.execute(
      t.db,
    );
    const lines = [1, 2, 3, 4, 5, 6].map((i) =>
      apiEntry({ paper: { id: `2507.0000${i}`, title: i === 5 ? 'CRASH paper' : `Batch paper ${i}` } }),
    );
    const path1 = writeJsonl(file('crash.jsonl'), lines);
    await expect(importFile(t.db, path1, { batchSize: 2 })).rejects.toThrow(/simulated crash/);
    const ids = async () =>
      (
        await t.db
          .selectFrom('papers')
          .select('arxiv_id')
          .where('arxiv_id', 'like', '2507.%')
          .orderBy('arxiv_id')
          .execute()
      ).map((r) => r.arxiv_id);
    expect(await ids()).toEqual(['2507.00001', '2507.00002', '2507.00003', '2507.00004']);
    await sql`drop trigger crash on papers`.execute(t.db);
    expect(await importFile(t.db, path1, { batchSize: 2 })).toMatchObject({ created: 2, unchanged: 4 });
    expect(await ids()).toHaveLength(6);
  });
});

const SHARED = path.resolve('../shared/data/hf-daily-papers.jsonl');
describe.skipIf(!existsSync(SHARED))('the real Daily Papers file (../shared/data, skipped when absent)', () => {
  it('imports all 7,876 records as one paper per arXiv id, and again as no change', async () => {
    const db = await createTestDb();
    try {
      const lines = readFileSync(SHARED, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      const ids = new Set(lines.map((l) => (JSON.parse(l) as { paper: { id: string } }).paper.id));
      const first = await importFile(db.db, SHARED);
      expect(first).toMatchObject({ read: lines.length, created: ids.size, skipped: 0 });
      expect(first.updated).toBe(lines.length - ids.size);
      expect(await countRows(db.db, 'papers')).toBe(ids.size);
      const again = await importFile(db.db, SHARED);
      expect(again).toMatchObject({ created: 0, updated: 0, unchanged: lines.length });
      const untagged = await sql<{
        n: number;
      }>`select count(*)::int as n from papers p where not exists (select 1 from paper_topics pt where pt.paper_id = p.id)`.execute(
        db.db,
      );
      expect(untagged.rows[0]?.n).toBe(0);
    } finally {
      await db.destroy();
    }
  });
});
if (!existsSync(SHARED)) console.warn(`skipping the real-data import test: ${SHARED} not found`);
