// Writes that must wait: another process (an import, the daily sync) holds the writers' lock
// for seconds while a burst of createPaper requests arrives. Reads keep being served (waiting
// writers must not take the pool from them), and every write is answered truthfully: a
// CreatePaperPayload for a paper that exists, a SERVICE_UNAVAILABLE for one that does not, even
// when the request's deadline passes while the write is under way.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { loadConfig } from '../../src/config.ts';
import { createDb, type Db } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { gql } from '../helpers/gql.ts';
import { createServerDatabase } from '../helpers/server-db.ts';

const enabled = !!process.env.TEST_DATABASE_URL;
if (!enabled)
  console.warn('skipping the busy-writer tests: set TEST_DATABASE_URL to run them (PGlite has one connection)');

let database: Awaited<ReturnType<typeof createServerDatabase>>;
let db: Db;
let key = '';
const servers: RunningServer[] = [];

beforeAll(async () => {
  if (!enabled) return;
  database = await createServerDatabase();
  db = await createDb({ databaseUrl: database?.url });
  await prepareDatabase(db, { sampleData: 'auto' });
  key = (await createApiKey(db, 'busy writers test', ['write'])).key;
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await db?.destroy();
  await database?.drop();
}, 60_000);

async function serve(env: Record<string, string>): Promise<string> {
  const server = await startServer({
    ...loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '1000000', ...env }),
    databaseUrl: database?.url,
    port: 0,
  });
  servers.push(server);
  return `http://127.0.0.1:${new URL(server.url).port}/graphql`;
}

/** Holds the writers' lock (every topic row) from another connection until release() is called. */
async function holdWritersLock(): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: database?.url });
  await client.connect();
  await client.query('begin');
  await client.query('select 1 from topics order by id for no key update');
  return {
    async release() {
      await client.query('rollback');
      await client.end();
    },
  };
}

const CREATE =
  'mutation ($t: String!) { createPaper(input: { title: $t }) { __typename ... on CreatePaperPayload { paper { id title } } } }';
const READ = '{ papers(first: 3) { nodes { title topics { slug } } } }';

async function paperExists(title: string): Promise<boolean> {
  const row = await db.selectFrom('papers').select('id').where('title', '=', title).executeTakeFirst();
  return row !== undefined;
}

describe.runIf(enabled)('writers waiting for the writers’ lock', () => {
  it('leave the pool to reads, and each answer says whether its paper was written', async () => {
    const url = await serve({ DB_POOL_SIZE: '4', STATEMENT_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '30000' });
    const lock = await holdWritersLock();
    const titles = Array.from({ length: 12 }, (_, i) => `Written while the lock is held ${i}`);
    const writes = titles.map((t) => gql(url, CREATE, { t }, { key }));
    // Reads while the writers wait: the lock is held for 8 s, longer than pg's wait for a
    // connection (5 s), so a pool taken by waiting writers fails them.
    const reads: Awaited<ReturnType<typeof gql>>[] = [];
    const until = performance.now() + 8_000;
    while (performance.now() < until) {
      reads.push(await gql(url, READ));
      await new Promise((r) => setTimeout(r, 200));
    }
    await lock.release();
    const answers = await Promise.all(writes);

    expect(reads.filter((r) => r.status !== 200 || r.errors).map((r) => [r.status, r.errors?.[0]?.message])).toEqual(
      [],
    );
    for (const [i, answer] of answers.entries()) {
      const title = titles[i] ?? '';
      const created = (answer.data as { createPaper?: { __typename: string } } | null)?.createPaper?.__typename;
      if (created === 'CreatePaperPayload') {
        expect(answer.status).toBe(200);
        expect(await paperExists(title)).toBe(true);
      } else {
        expect([answer.status, answer.errors?.map((e) => e.extensions?.code)]).toEqual([503, ['SERVICE_UNAVAILABLE']]);
        expect(await paperExists(title), `${title}: answered ${answer.errors?.[0]?.message} but written`).toBe(false);
      }
    }
    // The first writer in line waited for the lock and wrote; the others were told to retry.
    expect(answers.some((a) => a.status === 200)).toBe(true);
    expect(answers.some((a) => a.status === 503)).toBe(true);
  }, 60_000);

  it('past the request deadline, a write under way is answered when it ends, not with 503', async () => {
    const url = await serve({ REQUEST_TIMEOUT_MS: '1000', STATEMENT_TIMEOUT_MS: '20000' });
    const lock = await holdWritersLock();
    const title = 'Written after the deadline passed';
    const answer = gql(url, CREATE, { t: title }, { key });
    await new Promise((r) => setTimeout(r, 2_500));
    await lock.release();
    const { status, data, errors } = await answer;
    expect(errors).toBeUndefined();
    expect([status, data]).toEqual([
      200,
      { createPaper: { __typename: 'CreatePaperPayload', paper: expect.anything() } },
    ]);
    expect(await paperExists(title)).toBe(true);
  }, 60_000);

  it('a payload field that fails after the commit leaves a 200 that says the paper was created', async () => {
    const url = await serve({ STATEMENT_TIMEOUT_MS: '1000' });
    // Reads of the author table wait for this lock, past the statement timeout; creating a
    // paper without authors does not touch it.
    const client = new pg.Client({ connectionString: database?.url });
    await client.connect();
    await client.query('begin');
    await client.query('lock table authors in access exclusive mode');
    const title = 'Created while its authors cannot be read';
    try {
      const answer = await gql(
        url,
        'mutation ($t: String!) { createPaper(input: { title: $t }) { __typename ... on CreatePaperPayload { paper { title authors { name } } } } }',
        { t: title },
        { key },
      );
      expect([answer.status, answer.errors]).toEqual([200, expect.anything()]);
      expect(answer.data).toEqual({ createPaper: { __typename: 'CreatePaperPayload', paper: null } });
      expect(answer.errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([
        ['createPaper.paper.authors', 'SERVICE_UNAVAILABLE'],
      ]);
    } finally {
      await client.query('rollback');
      await client.end();
    }
    expect(await paperExists(title)).toBe(true);
  }, 60_000);
});
