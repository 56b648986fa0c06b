import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../src/commands/errors.ts';
import { runSync, syncCommand } from '../../src/commands/sync.ts';
import { loadConfig } from '../../src/config.ts';
import { createDb, type Db } from '../../src/db/database.ts';
import { createTestDb, preparedDataDir, type TestDb } from '../helpers/db.ts';
import { type FakeUpstream, idsOf, loadDays, startFakeUpstream, statusesByDay } from '../helpers/fake-upstream.ts';
import { createServerDatabase } from '../helpers/server-db.ts';

// `papergraph sync` as an operator runs it: child processes on a database of their own, against
// the fake upstream. Eight weekdays of the shared records (2026-03-30 to 04-08, 10 days).
const DAYS = [
  '2026-03-30',
  '2026-03-31',
  '2026-04-01',
  '2026-04-02',
  '2026-04-03',
  '2026-04-06',
  '2026-04-07',
  '2026-04-08',
];
const SINCE = '2026-03-30';
const UNTIL = '2026-04-08';
const CALENDAR = [
  '2026-03-30',
  '2026-03-31',
  '2026-04-01',
  '2026-04-02',
  '2026-04-03',
  '2026-04-04',
  '2026-04-05',
  '2026-04-06',
  '2026-04-07',
  '2026-04-08',
];
const BIN = path.resolve('bin/papergraph.js');
const onPostgres = !!process.env.TEST_DATABASE_URL;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'papergraph-sync-cli-'));
const dataDir = path.join(tmp, 'pglite');
let fake: FakeUpstream;
let database: Awaited<ReturnType<typeof createServerDatabase>>;

beforeAll(async () => {
  fake = await startFakeUpstream(loadDays(DAYS));
  database = await createServerDatabase();
  // The embedded database's folder starts migrated: the children skip PGlite's setup and the migrations.
  if (!database) await preparedDataDir(dataDir);
});
afterAll(async () => {
  await fake.close();
  await database?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

/** The database the children use: the fresh PostgreSQL one, or an embedded one in a folder. */
const dbEnv = (): Record<string, string> => (database ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir });
const openDb = () => createDb(database ? { databaseUrl: database.url } : { dataDir });

function papergraph(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, SYNC_URL: fake.url, ...dbEnv() };
  if (!database) delete env.DATABASE_URL;
  const child = spawn('node', [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal, stdout, stderr }));
  return { child, exited, stderr: () => stderr };
}

async function state(db: Db) {
  const days = await db.selectFrom('sync_days').select(['day', 'run_id', 'completed_at']).orderBy('day').execute();
  const papers = await db.selectFrom('papers').select('arxiv_id').orderBy('arxiv_id').execute();
  return { days, ids: papers.map((p) => p.arxiv_id) };
}
const idsOfDays = (days: readonly string[]) => [...new Set(days.flatMap((d) => idsOf(fake.days.get(d) ?? [])))].sort();

describe('papergraph sync, as a process', () => {
  it('killed (-9) in the middle of a range, then run again, merges every day exactly once and never half a day', async () => {
    fake.requests.length = 0;
    fake.delayMs = 50;
    const first = papergraph(['sync', '--since', SINCE, '--until', UNTIL]);
    const killAt = CALENDAR[5];
    fake.onRequest = ({ day }) => {
      if (day === killAt) first.child.kill('SIGKILL');
    };
    const killed = await first.exited;
    fake.onRequest = undefined;
    expect(killed.signal).toBe('SIGKILL');

    const db = await openDb();
    try {
      const after = await state(db);
      // The days before the one in flight are merged, whole; nothing of the one in flight is.
      const merged = CALENDAR.slice(0, 5);
      expect(after.days.filter((d) => d.completed_at).map((d) => d.day)).toEqual(merged);
      expect(after.ids).toEqual(idsOfDays(merged));
    } finally {
      await db.destroy();
    }

    fake.requests.length = 0;
    const second = await papergraph(['sync', '--since', SINCE, '--until', UNTIL]).exited;
    fake.delayMs = 0;
    expect(second.stderr).toMatch(/resuming run \d+ \(5 days already merged\)/);
    expect(second.stdout).toContain('sync completed: 5 of 5 days merged');
    expect(second.code).toBe(EXIT.ok);
    expect(Object.keys(statusesByDay(fake))).toEqual(CALENDAR.slice(5));
    const final = await openDb();
    try {
      const done = await state(final);
      expect(done.ids).toEqual(idsOfDays(DAYS));
      const runs = await final.selectFrom('sync_runs').select(['id', 'status', 'days_done']).orderBy('id').execute();
      expect(runs).toEqual([
        { id: expect.any(Number), status: 'interrupted', days_done: 5 },
        { id: expect.any(Number), status: 'completed', days_done: 5 },
      ]);
      // PostgreSQL's crash recovery may skip identity values: the ids need not be 1 and 2.
      const [killedRun, resumedRun] = runs.map((r) => r.id);
      expect(done.days.map((d) => [d.day, d.run_id])).toEqual(
        CALENDAR.map((day, i) => [day, i < 5 ? killedRun : resumedRun]),
      );
    } finally {
      await final.destroy();
    }
  }, 180_000);

  // On the embedded database a second process cannot open the folder at all (tests/server.test.ts).
  it.runIf(onPostgres)(
    'two at once: one waits for the other (saying so), with the result of one',
    async () => {
      // Forget the validators: the first gets every page anew; the second, after it, finds them unchanged.
      const before = await openDb();
      await before.deleteFrom('sync_pages').execute();
      await before.destroy();
      fake.requests.length = 0;
      // The first is held at its first request (it holds the lock then) until the second says it waits.
      let release!: () => void;
      fake.hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      const a = papergraph(['sync', '--since', SINCE, '--until', UNTIL]);
      await new Promise<void>((resolve) => {
        fake.onRequest = () => resolve();
      });
      fake.onRequest = undefined;
      const b = papergraph(['sync', '--since', SINCE, '--until', UNTIL]);
      const deadline = Date.now() + 120_000;
      while (!b.stderr().includes('waiting for it to finish') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      fake.hold = undefined;
      release();
      const [ra, rb] = await Promise.all([a.exited, b.exited]);
      expect(ra.code).toBe(EXIT.ok);
      expect(rb.code).toBe(EXIT.ok);
      expect(rb.stderr).toMatch(/another sync is running \(run \d+ \(pid \d+ on .+\)\): waiting for it to finish/);
      // The second came after the first and found every page unchanged.
      const statuses = fake.requests.map((r) => r.status);
      expect(statuses).toEqual([...Array(CALENDAR.length).fill(200), ...Array(CALENDAR.length).fill(304)]);
      expect(rb.stdout).toContain('0 papers added, 0 updated');
      const db = await openDb();
      try {
        expect((await state(db)).ids).toEqual(idsOfDays(DAYS));
      } finally {
        await db.destroy();
      }
    },
    180_000,
  );
});

describe('papergraph sync, its exit codes', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t.destroy();
  });
  const config = (env: Record<string, string> = {}) =>
    loadConfig({ SYNC_URL: fake.url, SYNC_TIMEOUT_MS: '5000', LOG_LEVEL: 'silent', ...env });

  it('0 done, 1 a day failed, 4 the upstream unavailable; 2 for a bad range', async () => {
    const range = { since: '2026-04-01', until: '2026-04-02' };
    expect(await runSync(t.db, config(), range)).toBe(EXIT.ok);
    fake.fail({ kind: 'not-array', day: '2026-04-03' });
    expect(await runSync(t.db, config(), { since: '2026-04-03', until: '2026-04-03' })).toBe(EXIT.failed);
    fake.fail({ kind: '500', day: '2026-04-06', times: 3 });
    const down = await runSync(
      t.db,
      config(),
      { since: '2026-04-06', until: '2026-04-06' },
      { retryBaseMs: 5, attempts: 3 },
    );
    expect(down).toBe(EXIT.unavailable);
    await expect(syncCommand(config(), { until: '2026-04-01' })).rejects.toThrow(
      new CliError('--until needs --since', EXIT.usage),
    );
    await expect(syncCommand(config(), { since: '2026-04-02', until: '2026-04-01' })).rejects.toMatchObject({
      exitCode: EXIT.usage,
    });
  });
});
