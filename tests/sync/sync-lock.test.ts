import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb, type Db } from '../../src/db/database.ts';
import { type SyncOptions, syncDays } from '../../src/sync/sync-days.ts';
import { getSyncStatus } from '../../src/sync/sync-status.ts';
import { createUpstream } from '../../src/sync/upstream.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import {
  captureLog,
  type FakeUpstream,
  idsOf,
  loadDays,
  startFakeUpstream,
  statusesByDay,
} from '../helpers/fake-upstream.ts';

// Five weekdays of the shared records (2026-04-06 to 04-10).
const DAYS = ['2026-04-06', '2026-04-07', '2026-04-08', '2026-04-09', '2026-04-10'];
const RANGE = { since: DAYS[0] ?? '', until: DAYS[4] };
let t: TestDb;
let fake: FakeUpstream;

beforeAll(async () => {
  t = await createTestDb();
  fake = await startFakeUpstream(loadDays(DAYS));
});
afterAll(async () => {
  await fake.close();
  await t.destroy();
});

function sync(db: Db, options: Partial<SyncOptions> = {}) {
  const { log, text } = captureLog();
  const upstream = createUpstream({ url: fake.url, timeoutMs: 5000, retryBaseMs: 5, log });
  return {
    log: text,
    done: syncDays(db, { upstream, range: RANGE, refetchDays: 3, onBadData: 'skip-day', log, wait: true, ...options }),
  };
}

const expectedIds = () => [...new Set(DAYS.flatMap((d) => idsOf(fake.days.get(d) ?? [])))].sort();
async function storedIds(db: Db) {
  const rows = await db.selectFrom('papers').select('arxiv_id').orderBy('arxiv_id').execute();
  return rows.map((r) => r.arxiv_id);
}
const byDay = () => statusesByDay(fake);

describe('one sync at a time', () => {
  it('resumes an interrupted range where it stopped: every day merged once', async () => {
    const stop = new AbortController();
    fake.onRequest = ({ day }) => {
      if (day === DAYS[2]) stop.abort(new Error('test stop'));
    };
    const first = sync(t.db, { signal: stop.signal });
    expect(await first.done).toMatchObject({ outcome: 'interrupted', daysDone: 2 });
    fake.onRequest = undefined;
    expect((await getSyncStatus(t.db)).lastRunStatus).toBe('interrupted');
    fake.requests.length = 0;
    const second = sync(t.db);
    const summary = await second.done;
    expect(summary).toMatchObject({ outcome: 'completed', daysPlanned: 3, daysDone: 3 });
    expect(second.log()).toMatch(/resuming run \d+ \(2 days already merged\)/);
    expect(Object.keys(byDay())).toEqual(DAYS.slice(2));
    const runs = await t.db.selectFrom('sync_days').select(['day', 'run_id']).orderBy('day').execute();
    const [a, b] = [runs[0]?.run_id, runs[4]?.run_id];
    expect(runs.map((r) => r.run_id)).toEqual([a, a, b, b, b]);
    expect(await storedIds(t.db)).toEqual(expectedIds());
  });

  it('a second sync in the process waits for the first, or skips when told not to wait, saying so', async () => {
    // Forget the validators: the first sync gets every page anew, the second finds them unchanged.
    await t.db.deleteFrom('sync_pages').execute();
    fake.requests.length = 0;
    fake.delayMs = 30;
    const a = sync(t.db);
    const b = sync(t.db);
    const c = sync(t.db, { wait: false });
    const [ra, rb, rc] = await Promise.all([a.done, b.done, c.done]);
    fake.delayMs = 0;
    expect(rc.outcome).toBe('busy');
    expect(c.log()).toContain('another sync is running (another sync of this process): skipping this run');
    expect(b.log()).toContain('another sync is running (another sync of this process): waiting for it to finish');
    expect([ra.outcome, rb.outcome]).toEqual(['completed', 'completed']);
    // The second found every page unchanged: one merged result, as if one had run.
    expect(rb.papersAdded + rb.papersUpdated).toBe(0);
    expect(fake.requests.map((r) => r.status)).toEqual([...Array(5).fill(200), ...Array(5).fill(304)]);
    expect(await storedIds(t.db)).toEqual(expectedIds());
  });

  it.runIf(!!process.env.TEST_DATABASE_URL)(
    'on PostgreSQL, the advisory lock keeps a sync of another connection pool out until the first ends',
    async () => {
      const { rows } = await (await import('kysely')).sql<{ s: string }>`select current_schema() as s`.execute(t.db);
      const other = await createDb({
        databaseUrl: process.env.TEST_DATABASE_URL,
        pool: { max: 3, options: `-c search_path=${rows[0]?.s},public` },
      });
      try {
        fake.delayMs = 40;
        fake.requests.length = 0;
        const a = sync(t.db, { range: { since: DAYS[0] ?? '', until: DAYS[1] } });
        // Once it asks the upstream, the first sync holds the lock (a fixed pause is too short on a busy machine).
        await vi.waitFor(() => expect(fake.requests.length).toBeGreaterThan(0), { timeout: 10_000 });
        expect((await getSyncStatus(other)).running).toBe(true);
        const skipped = sync(other, { wait: false });
        expect(await skipped.done).toMatchObject({ outcome: 'busy' });
        expect(skipped.log()).toMatch(
          /another sync is running \(run \d+ \(pid \d+ on .+, since .+\)\): skipping this run/,
        );
        const waited = sync(other, { range: { since: DAYS[0] ?? '', until: DAYS[1] } });
        const [ra, rw] = await Promise.all([a.done, waited.done]);
        expect([ra.outcome, rw.outcome]).toEqual(['completed', 'completed']);
        expect(waited.log()).toContain('waiting for it to finish');
        expect((await getSyncStatus(other)).running).toBe(false);
        expect(await storedIds(other)).toEqual(expectedIds());
      } finally {
        fake.delayMs = 0;
        await other.destroy();
      }
    },
  );
});
