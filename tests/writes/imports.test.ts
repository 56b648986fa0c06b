// Imports report what they did, truly: through the API (importPapers) a bad record is skipped
// and named, the rest is written, and the payload counts exactly what the database holds.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { openPGlite } from '../../src/db/embedded.ts';
import { PGliteDialect } from '../../src/db/pglite-dialect.ts';
import type { DB } from '../../src/db/types.ts';
import { type App, createApp } from '../../src/yoga.ts';
import { apiEntry } from '../helpers/api-records.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { countRows } from '../helpers/fixtures.ts';

let t: TestDb;
let app: App;
let admin = '';

beforeAll(async () => {
  t = await createTestDb();
  admin = (await createApiKey(t.db, 'importer', ['admin'])).key;
  app = await createApp({ db: t.db });
});
afterAll(() => t.destroy());

const tmp = mkdtempSync(path.join(os.tmpdir(), 'papergraph-writes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const IMPORT = /* GraphQL */ `
  mutation ($input: ImportPapersInput!) {
    importPapers(input: $input) {
      __typename
      ... on ImportPapersPayload { read created updated unchanged skipped problems { line message } }
      ... on ValidationError { issues { field message } }
    }
  }
`;

interface Answer {
  status: number;
  bytes: number;
  data?: { importPapers?: Record<string, unknown> & { __typename: string } } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function importContent(content: string): Promise<Answer> {
  const response = await app.fetch('http://papergraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ query: IMPORT, variables: { input: { format: 'HF_JSONL', content } } }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as Omit<Answer, 'status' | 'bytes'>;
  return { ...body, status: response.status, bytes: Buffer.byteLength(text) };
}

async function arxivIdsWithPrefix(prefix: string): Promise<string[]> {
  const rows = await t.db
    .selectFrom('papers')
    .select('arxiv_id')
    .where('arxiv_id', 'like', `${prefix}%`)
    .orderBy('arxiv_id')
    .execute();
  return rows.map((r) => r.arxiv_id ?? '');
}

/** A name of `length` letters that does not compress (an index entry cannot shrink it). */
const longName = (length: number) =>
  randomBytes(length)
    .toString('base64')
    .replace(/[^A-Za-z]/g, 'x')
    .slice(0, length);

describe('importPapers reports what it wrote', () => {
  const cases = [
    {
      name: 'an author name of 8,000 characters',
      prefix: '2510.',
      field: 'paper.authors',
      bad: { authors: [{ name: longName(8000) }] },
    },
    {
      name: 'a publication date in year 0000',
      prefix: '2511.',
      field: 'paper.publishedAt',
      bad: { publishedAt: '0000-06-01' },
    },
  ];
  for (const c of cases) {
    it(`1,500 records, record 1,200 with ${c.name}: 1,499 created, the bad one skipped and named`, async () => {
      const ids = Array.from({ length: 1500 }, (_, i) => `${c.prefix}${String(i + 1).padStart(5, '0')}`);
      const lines = ids.map((id, i) => JSON.stringify(apiEntry({ paper: { id, ...(i === 1199 ? c.bad : {}) } })));
      const before = await countRows(t.db, 'papers');
      const answer = await importContent(lines.join('\n'));
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.importPapers).toEqual({
        __typename: 'ImportPapersPayload',
        read: 1500,
        created: 1499,
        updated: 0,
        unchanged: 0,
        skipped: 1,
        problems: [{ line: 1200, message: expect.stringContaining(c.field) }],
      });
      expect(await countRows(t.db, 'papers')).toBe(before + 1499);
      expect(await arxivIdsWithPrefix(c.prefix)).toEqual(ids.filter((_, i) => i !== 1199));
    }, 120_000);
  }

  it('100,000 bad lines: all counted as skipped, the first 100 reported, a small answer; with no valid record at all, a ValidationError', async () => {
    const bad = Array.from({ length: 100_000 }, () => '{}');
    const good = apiEntry({ paper: { id: '2512.00001' } });
    const before = await countRows(t.db, 'papers');
    const answer = await importContent([...bad, JSON.stringify(good)].join('\n'));
    expect(answer.errors).toBeUndefined();
    const payload = answer.data?.importPapers as {
      __typename: string;
      read: number;
      created: number;
      skipped: number;
      problems: { line: number; message: string }[];
    };
    expect(payload).toMatchObject({ __typename: 'ImportPapersPayload', read: 100_001, created: 1, skipped: 100_000 });
    // The first 100 skipped records, as the schema says; `skipped` counts them all.
    expect(payload.problems.map((p) => p.line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(answer.bytes).toBeLessThan(100_000);
    expect(await countRows(t.db, 'papers')).toBe(before + 1);

    const none = await importContent(bad.join('\n'));
    expect(none.errors).toBeUndefined();
    expect(none.data?.importPapers).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ field: 'input.content' }],
    });
    expect(none.bytes).toBeLessThan(100_000);
    expect(await countRows(t.db, 'papers')).toBe(before + 1);
  }, 120_000);
});

// The command line: one process per run, each starting Node and the embedded database (PGlite)
// in DATA_DIR. Runs are few; their timeouts leave room for a loaded two-core machine.
const run = promisify(execFile);
const BIN = path.resolve('bin/papergraph.js');
const DATA_DIR = path.join(tmp, 'cli-db');
const CLI_RUN_MS = 90_000;

async function papergraph(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { env, timeout: CLI_RUN_MS });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The papers in the command's embedded database (opened after the command has exited). */
async function cliPapers(): Promise<{ arxiv_id: string | null; title: string }[]> {
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite: (await openPGlite(DATA_DIR)).pglite }) });
  try {
    return await db.selectFrom('papers').select(['arxiv_id', 'title']).orderBy('id').execute();
  } finally {
    await db.destroy();
  }
}

const file = (name: string, content: string | Buffer) => {
  const at = path.join(tmp, name);
  writeFileSync(at, content);
  return at;
};
const jsonl = (entries: object[]) => `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;

describe('papergraph import', () => {
  it(
    'exits 3 when records were skipped (0 with --allow-skipped), and reads gzipped files',
    async () => {
      const skipping = file(
        'skipping.jsonl',
        jsonl([apiEntry({ paper: { id: '2513.00001' } }), {}, apiEntry({ paper: { id: '2513.00002' } })]),
      );
      const gzEntries = ['2513.00011', '2513.00012', '2513.00013'].map((id) => apiEntry({ paper: { id } }));
      const gz = file('three.jsonl.gz', gzipSync(jsonl(gzEntries)));
      const first = await papergraph(['import', skipping, gz]);
      expect(first.code).toBe(3);
      expect(first.stderr).toContain(`${skipping}:2: skipped:`);
      expect(first.stdout).toContain(`${skipping}: read 3, created 2, updated 0, unchanged 0, skipped 1`);
      expect(first.stdout).toContain(`${gz}: read 3, created 3, updated 0, unchanged 0, skipped 0`);
      const again = await papergraph(['import', '--allow-skipped', skipping]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`${skipping}: read 3, created 0, updated 0, unchanged 2, skipped 1`);
      const stored = await cliPapers();
      expect(stored.map((p) => p.arxiv_id).sort()).toEqual(
        ['2513.00001', '2513.00002', '2513.00011', '2513.00012', '2513.00013'].sort(),
      );
      expect(stored.find((p) => p.arxiv_id === '2513.00012')?.title).toBe(
        gzEntries[1]?.paper.title.replace(/\s+/g, ' '),
      );
    },
    4 * CLI_RUN_MS,
  );

  it(
    'refuses what is not a file of papers (binary data, a program, an empty file, only bad records): exit 1, one line, no paper',
    async () => {
      const before = await cliPapers();
      const junk = [
        file('random.bin', randomBytes(20_000)),
        '/bin/ls',
        file('empty.jsonl', ''),
        file(
          'all-bad.jsonl',
          ['{}', 'not json', JSON.stringify({ paper: { id: 'not-an-id', title: 'x' } }), '[1]'].join('\n'),
        ),
      ];
      for (const junkFile of junk) {
        const result = await papergraph(['import', junkFile]);
        expect({ file: junkFile, code: result.code }).toEqual({ file: junkFile, code: 1 });
        const lines = result.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^papergraph: import failed: /);
        expect(lines[0]).toContain(junkFile);
      }
      expect(await cliPapers()).toEqual(before);
    },
    7 * CLI_RUN_MS,
  );

  it(
    'refuses plain text without the Daily Papers header, unless told --format daily-page',
    async () => {
      const title = `A plain text paper ${randomBytes(3).toString('hex')}`;
      const text = file('plain.txt', `${title}\nWe study language models on plain text without a page header.\n`);
      const refused = await papergraph(['import', text]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^papergraph: import failed: .*plain\.txt/),
      ]);
      const forced = await papergraph(['import', '--format', 'daily-page', text]);
      expect(forced.code).toBe(0);
      // "created 1": the refused run had not written it.
      expect(forced.stdout).toContain(`${text}: read 1, created 1, updated 0, unchanged 0, skipped 0`);
      expect((await cliPapers()).filter((p) => p.title.startsWith('A plain text paper'))).toEqual([
        { arxiv_id: null, title },
      ]);
    },
    4 * CLI_RUN_MS,
  );
});
