import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setManualTopics } from '../../src/db/queries/paper-topics.ts';
import { createPapersPubSub } from '../../src/pubsub.ts';
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

// Days of the shared records: 2026-04-20 to 04-24 (19, 31, 28, 21, 15 papers), 25 and 26 none
// (a weekend), 27 to 30 (11, 20, 19, 9). Pages of 10 entries, so that days take 1 to 4 pages.
const PAGE = 10;
let t: TestDb;
let fake: FakeUpstream;
const pubsub = createPapersPubSub();
const added: number[] = [];

beforeAll(async () => {
  t = await createTestDb();
  const days = loadDays(['2026-04-14', '2026-04-15', '2026-04-16', '2026-04-17']);
  for (const [day, list] of loadDays([
    '2026-04-20',
    '2026-04-21',
    '2026-04-22',
    '2026-04-23',
    '2026-04-24',
    '2026-04-27',
    '2026-04-28',
    '2026-04-29',
    '2026-04-30',
  ])) {
    days.set(day, list);
  }
  fake = await startFakeUpstream(days);
  void (async () => {
    for await (const event of pubsub.subscribe('paper:added')) added.push(event.paperId);
  })();
});
afterAll(async () => {
  await fake.close();
  await t.destroy();
});
afterEach(() => {
  fake.requests.length = 0;
  added.length = 0;
});

async function sync(options: Partial<SyncOptions> = {}) {
  const { log, text } = captureLog();
  const upstream = createUpstream({ url: fake.url, timeoutMs: 5000, retryBaseMs: 5, log });
  const summary = await syncDays(t.db, {
    upstream,
    refetchDays: 3,
    onBadData: 'skip-day',
    pubsub,
    log,
    wait: true,
    pageSize: PAGE,
    ...options,
  });
  return { summary, log: text() };
}

const entriesOf = (day: string) => fake.days.get(day) ?? [];
const arxivIds = async (ids: string[]) =>
  (await t.db.selectFrom('papers').select('arxiv_id').where('arxiv_id', 'in', ids).execute()).map((r) => r.arxiv_id);
const asked = () => statusesByDay(fake);
const pagesOf = (day: string) => Math.floor(entriesOf(day).length / PAGE) + 1;

describe('a sync of the Daily Papers API', () => {
  it('starts a first catch-up at today minus SYNC_REFETCH_DAYS, page by page, and announces new papers', async () => {
    const { summary, log } = await sync({ today: '2026-04-22', refetchDays: 2 });
    const days = ['2026-04-20', '2026-04-21', '2026-04-22'];
    expect(summary).toMatchObject({ outcome: 'completed', daysPlanned: 3, daysDone: 3, failures: [] });
    expect(asked()).toEqual(Object.fromEntries(days.map((d) => [d, Array(pagesOf(d)).fill(200)])));
    const ids = days.flatMap((d) => idsOf(entriesOf(d)));
    expect((await arxivIds(ids)).sort()).toEqual([...new Set(ids)].sort());
    expect(summary.papersAdded).toBe(new Set(ids).size);
    // Events are delivered to the subscriber's loop asynchronously.
    await vi.waitFor(() => expect(added).toHaveLength(summary.papersAdded));
    expect(log).toContain('2026-04-21: 4 pages, 31 entries: 31 created, 0 updated, 0 unchanged, 0 skipped');
    expect(await getSyncStatus(t.db)).toMatchObject({
      lastCompletedDay: '2026-04-22',
      lastRunStatus: 'completed',
      lastError: null,
      papersAdded: summary.papersAdded,
      papersUpdated: 0,
      running: false,
    });
  });

  it('syncs a range: days already merged answer 304 and are not merged again; the others are', async () => {
    const { summary, log } = await sync({ range: { since: '2026-04-20', until: '2026-04-24' } });
    expect(summary).toMatchObject({ outcome: 'completed', daysDone: 5, papersUpdated: 0 });
    expect(summary.papersAdded).toBe(entriesOf('2026-04-23').length + entriesOf('2026-04-24').length);
    expect(asked()).toMatchObject({
      '2026-04-20': Array(pagesOf('2026-04-20')).fill(304),
      '2026-04-22': Array(pagesOf('2026-04-22')).fill(304),
      '2026-04-23': Array(pagesOf('2026-04-23')).fill(200),
    });
    expect(log).toContain('2026-04-20: unchanged (2 pages, 304 Not Modified)');
    const days = await t.db.selectFrom('sync_days').select(['day', 'records', 'pages']).orderBy('day').execute();
    expect(days).toEqual(
      ['2026-04-20', '2026-04-21', '2026-04-22', '2026-04-23', '2026-04-24'].map((day) => ({
        day,
        records: entriesOf(day).length,
        pages: pagesOf(day),
      })),
    );
  });

  it('catches up from the last completed day, empty days included, then fetches only the last days again', async () => {
    const first = await sync({ today: '2026-04-30' });
    expect(Object.keys(asked())).toEqual([
      '2026-04-25',
      '2026-04-26',
      '2026-04-27',
      '2026-04-28',
      '2026-04-29',
      '2026-04-30',
    ]);
    expect(first.summary).toMatchObject({ outcome: 'completed', daysDone: 6 });
    fake.requests.length = 0;
    const again = await sync({ today: '2026-04-30' });
    expect(Object.keys(asked())).toEqual(['2026-04-27', '2026-04-28', '2026-04-29', '2026-04-30']);
    expect(again.summary).toMatchObject({ outcome: 'completed', papersAdded: 0, papersUpdated: 0 });
  });

  it('follows moving counts: upvotes and comments change, manual topics stay, upvote events fire', async () => {
    const entry = entriesOf('2026-04-28')[3];
    if (!entry) throw new Error('no entry');
    const arxivId = String(entry.paper.id);
    const paper = await t.db
      .selectFrom('papers')
      .select(['id', 'upvotes', 'comments_count'])
      .where('arxiv_id', '=', arxivId)
      .executeTakeFirstOrThrow();
    const topic = await t.db
      .selectFrom('topics')
      .select('id')
      .where('slug', '=', 'pre-training')
      .executeTakeFirstOrThrow();
    await setManualTopics(t.db, paper.id, [{ topic_id: topic.id, score: 1 }]);
    entry.paper.upvotes = paper.upvotes + 50;
    entry.numComments = paper.comments_count + 2;
    const events = (async () => {
      for await (const event of pubsub.subscribe('paper:upvoted', paper.id)) return event.paperId;
    })();
    const { summary } = await sync({ today: '2026-04-30' });
    expect(summary).toMatchObject({ outcome: 'completed', papersAdded: 0, papersUpdated: 1 });
    expect(asked()['2026-04-28']).toEqual([200, 304, 304]);
    expect(await events).toBe(paper.id);
    const after = await t.db
      .selectFrom('papers')
      .select(['upvotes', 'comments_count'])
      .where('id', '=', paper.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ upvotes: paper.upvotes + 50, comments_count: paper.comments_count + 2 });
    const topics = await t.db
      .selectFrom('paper_topics')
      .select(['topic_id', 'source'])
      .where('paper_id', '=', paper.id)
      .execute();
    expect(topics).toEqual([{ topic_id: topic.id, source: 'manual' }]);
  });
});

describe('bad upstream data and faults', () => {
  const writtenOf = async (day: string) => (await arxivIds(idsOf(entriesOf(day)))).length;

  it.each([
    ['malformed', /page 1: not valid JSON: .*\(\d+ bytes\)/],
    ['truncated', /page 1: not valid JSON \(truncated\?\)/],
    ['not-array', /page 1: not a JSON array but an object: "Invalid date"/],
    ['no-title', /page 1: entry 1 \(\d+\.\d+\) has no title/],
  ] as const)('a %s page fails its whole day (skip-day: the next day is merged)', async (kind, reason) => {
    await t.db.deleteFrom('papers').where('featured_on', 'in', ['2026-04-14', '2026-04-15']).execute();
    await t.db.deleteFrom('sync_days').where('day', 'in', ['2026-04-14', '2026-04-15']).execute();
    fake.fail({ kind, day: '2026-04-14', page: 1 });
    const range = { since: '2026-04-14', until: '2026-04-15' };
    const { summary, log } = await sync({ range });
    expect(summary).toMatchObject({ outcome: 'failed', daysDone: 1, stoppedBy: undefined });
    expect(summary.failures).toEqual([{ day: '2026-04-14', kind: 'bad-data', message: expect.stringMatching(reason) }]);
    expect(log).toMatch(/2026-04-14 page 1: .*; day skipped \(SYNC_ON_BAD_DATA=skip-day\)/);
    // Page 0 was good, and still nothing of the day was written.
    expect(await writtenOf('2026-04-14')).toBe(0);
    expect(await writtenOf('2026-04-15')).toBe(entriesOf('2026-04-15').length);
    const state = await t.db
      .selectFrom('sync_days')
      .select(['completed_at', 'error'])
      .where('day', '=', '2026-04-14')
      .executeTakeFirst();
    expect(state).toMatchObject({ completed_at: null, error: expect.stringMatching(reason) });
    expect((await getSyncStatus(t.db)).lastError).toMatch(reason);

    // The same range again resumes the failed run: only the failed day is fetched, and merged.
    fake.requests.length = 0;
    const again = await sync({ range });
    expect(again.summary).toMatchObject({ outcome: 'completed', daysPlanned: 1, daysDone: 1 });
    expect(Object.keys(asked())).toEqual(['2026-04-14']);
    expect(await writtenOf('2026-04-14')).toBe(entriesOf('2026-04-14').length);
  });

  it('SYNC_ON_BAD_DATA=stop ends the run at the bad day', async () => {
    fake.fail({ kind: 'not-array', day: '2026-04-16' });
    const { summary, log } = await sync({ range: { since: '2026-04-16', until: '2026-04-17' }, onBadData: 'stop' });
    expect(summary).toMatchObject({
      outcome: 'failed',
      daysDone: 0,
      stoppedBy: { day: '2026-04-16', kind: 'bad-data' },
    });
    expect(Object.keys(asked())).toEqual(['2026-04-16']);
    expect(log).toMatch(/2026-04-16 page 0: not a JSON array .*; sync stopped/);
    expect(await writtenOf('2026-04-16')).toBe(0);
  });

  it('skips a bad record alone and reports it with its day, page and position', async () => {
    await t.db.deleteFrom('sync_days').where('day', '=', '2026-04-16').execute();
    fake.fail({ kind: 'bad-record', day: '2026-04-16', page: 1 });
    const { summary, log } = await sync({ range: { since: '2026-04-16', until: '2026-04-16' } });
    expect(summary).toMatchObject({ outcome: 'completed', recordsSkipped: 1 });
    expect(log).toContain(
      '2026-04-16 page 1 #1: skipped: paper.upvotes must be a whole number from 0 to 2147483647, got -1',
    );
    const entries = entriesOf('2026-04-16');
    expect(await writtenOf('2026-04-16')).toBe(entries.length - 1);
    expect(await arxivIds([String(entries[PAGE]?.paper.id)])).toEqual([]);
  });

  it('an upstream that keeps failing stops the run, the day unwritten; 429 and a cut connection are waited out', async () => {
    await t.db.deleteFrom('sync_days').where('day', '=', '2026-04-17').execute();
    fake.fail({ kind: '500', day: '2026-04-17', page: 1, times: 5 });
    const down = await sync({ range: { since: '2026-04-17', until: '2026-04-17' } });
    expect(down.summary).toMatchObject({ outcome: 'failed', stoppedBy: { kind: 'unavailable' } });
    expect(down.summary.stoppedBy?.message).toBe(
      '2026-04-17: the upstream is unavailable: 500 Internal Server Error, after 5 attempts',
    );
    expect(asked()['2026-04-17']).toEqual([200, 500, 500, 500, 500, 500]);
    expect(await writtenOf('2026-04-17')).toBe(0);

    fake.requests.length = 0;
    fake.fail({ kind: '429', day: '2026-04-17', page: 0, retryAfter: 1 });
    fake.fail({ kind: 'reset', day: '2026-04-17', page: 2 });
    const up = await sync({ range: { since: '2026-04-17', until: '2026-04-17' } });
    expect(up.summary).toMatchObject({ outcome: 'completed', daysDone: 1 });
    expect(asked()['2026-04-17']).toEqual([429, 200, 200, 200, 200]);
    expect(await writtenOf('2026-04-17')).toBe(entriesOf('2026-04-17').length);
  });

  it('a day whose write fails is rolled back whole and recorded', async () => {
    await t.db.deleteFrom('papers').where('featured_on', '=', '2026-04-15').execute();
    await t.db.deleteFrom('sync_days').where('day', '=', '2026-04-15').execute();
    // The second page's first paper cannot be written: the day's papers from page 0 must not stay.
    const victim = String(entriesOf('2026-04-15')[PAGE]?.paper.id);
    await sql`create function pg_temp_refuse() returns trigger language plpgsql as $$
      begin if new.arxiv_id = ${sql.lit(victim)} then raise exception 'refused by a test trigger'; end if; return new; end $$`.execute(
      t.db,
    );
    await sql`create trigger refuse before insert on papers for each row execute function pg_temp_refuse()`.execute(
      t.db,
    );
    try {
      const { summary } = await sync({ range: { since: '2026-04-15', until: '2026-04-15' } });
      expect(summary).toMatchObject({ outcome: 'failed', stoppedBy: { kind: 'write' } });
      expect(summary.stoppedBy?.message).toContain('refused by a test trigger');
      expect(await writtenOf('2026-04-15')).toBe(0);
    } finally {
      await sql`drop trigger refuse on papers`.execute(t.db);
      await sql`drop function pg_temp_refuse()`.execute(t.db);
    }
  });
});
