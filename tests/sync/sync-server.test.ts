import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { loadConfig } from '../../src/config.ts';
import { createDb } from '../../src/db/database.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { addDays, utcToday } from '../../src/sync/calendar.ts';
import { preparedDataDir } from '../helpers/db.ts';
import { type Entry, type FakeUpstream, loadDays, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { createServerDatabase } from '../helpers/server-db.ts';

// The server with SYNC_INTERVAL: it syncs at start and every second after, and its sync's new
// papers reach subscribers. The upstream serves two real days as yesterday and today.
const today = utcToday();
const yesterday = addDays(today, -1);
const shared = loadDays(['2026-04-20', '2026-04-21', '2026-04-22']);
const [newcomer, latecomer] = (shared.get('2026-04-22') ?? []) as [Entry, Entry];
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'papergraph-sync-server-'));
let database: Awaited<ReturnType<typeof createServerDatabase>>;
let fake: FakeUpstream;
let server: RunningServer | undefined;

beforeAll(async () => {
  fake = await startFakeUpstream(
    new Map([
      [yesterday, shared.get('2026-04-20') ?? []],
      [today, shared.get('2026-04-21') ?? []],
    ]),
  );
  database = await createServerDatabase();
  if (!database) await preparedDataDir(dataDir);
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    SAMPLE_DATA: 'off',
    RATE_LIMIT_PER_MINUTE: '1000000',
    SYNC_URL: fake.url,
    SYNC_INTERVAL: '1s',
    SYNC_REFETCH_DAYS: '1',
    SYNC_TIMEOUT_MS: '5000',
  });
  server = await startServer({ ...config, databaseUrl: database?.url, dataDir, port: 0 });
});
afterAll(async () => {
  await server?.close();
  await fake.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function post(query: string, key?: string) {
  const response = await fetch(server?.url ?? '', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

const STATUS =
  '{ syncStatus { lastCompletedDay lastRunAt lastRunStatus lastError papersAdded papersUpdated running } }';
type Status = {
  lastCompletedDay: string | null;
  lastRunStatus: string | null;
  lastError: string | null;
  running: boolean;
};
async function waitForStatus(ok: (s: Status) => boolean, key?: string): Promise<Status> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = (await post(STATUS, key)).data?.syncStatus as Status;
    if (ok(status) || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the server with SYNC_INTERVAL', () => {
  it('syncs at start, then sends a paper that appears upstream to paperAdded subscribers', async () => {
    const first = await waitForStatus((s) => s.lastCompletedDay === today && s.lastRunStatus === 'COMPLETED');
    expect(first).toMatchObject({ lastCompletedDay: today, lastRunStatus: 'COMPLETED', lastError: null });

    const controller = new AbortController();
    const response = await fetch(server?.url ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { paperAdded { arxivId } }' }),
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    fake.days.get(today)?.push(newcomer);
    let text = '';
    const deadline = Date.now() + 30_000;
    while (!text.includes(String(newcomer.paper.id)) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain(`{"data":{"paperAdded":{"arxivId":"${newcomer.paper.id}"}}}`);
  }, 60_000);

  it('shows a failing run to everyone, and its error only to admin keys', async () => {
    fake.fail({ kind: 'not-array', day: today, times: Number.POSITIVE_INFINITY });
    const failed = await waitForStatus((s) => s.lastRunStatus === 'FAILED');
    expect(failed).toMatchObject({ lastRunStatus: 'FAILED', lastError: null });
    const { key } = await createApiKey(server?.db ?? (await createDb({})), 'sync admin', ['admin']);
    const admin = await waitForStatus((s) => s.lastRunStatus === 'FAILED', key);
    expect(admin.lastError).toMatch(new RegExp(`1 day failed: ${today} page 0: not a JSON array but an object`));
  }, 60_000);

  it('on close, stops a sync in the middle of a day, writing nothing of it', async () => {
    // Whichever request comes next is held; the paper added upstream now is never fetched.
    fake.days.get(yesterday)?.push(latecomer);
    let release!: () => void;
    fake.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = new Promise<void>((resolve) => {
      fake.onRequest = () => resolve();
    });
    await held;
    const started = Date.now();
    await server?.close();
    server = undefined;
    release();
    expect(Date.now() - started).toBeLessThan(10_000);
    const db = await createDb(database ? { databaseUrl: database.url } : { dataDir });
    try {
      const last = await db
        .selectFrom('sync_runs')
        .select(['status', 'error'])
        .orderBy('id', 'desc')
        .executeTakeFirst();
      expect(last).toMatchObject({
        status: 'interrupted',
        error: expect.stringContaining('the server is shutting down'),
      });
      const found = await db
        .selectFrom('papers')
        .select('id')
        .where('arxiv_id', '=', String(latecomer.paper.id))
        .execute();
      expect(found).toEqual([]);
    } finally {
      await db.destroy();
    }
  }, 60_000);
});
