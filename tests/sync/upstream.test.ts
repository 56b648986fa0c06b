import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstream, UpstreamError, USER_AGENT } from '../../src/sync/upstream.ts';
import { type Entry, type FakeUpstream, loadDays, startFakeUpstream } from '../helpers/fake-upstream.ts';

const DAY = '2026-04-21';
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
let fake: FakeUpstream | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function logLines() {
  const lines: string[] = [];
  return {
    lines,
    log: { info: (_f: object, m: string) => lines.push(m), warn: (_f: object, m: string) => lines.push(m) },
  };
}

async function upstream(options: Parameters<typeof startFakeUpstream>[1] = {}, days = loadDays([DAY])) {
  fake = await startFakeUpstream(days, options);
  const { lines, log } = logLines();
  return { lines, client: createUpstream({ url: fake.url, timeoutMs: 5000, retryBaseMs: 10, log }) };
}

describe('the Daily Papers HTTP client', () => {
  it('names itself, asks for a day page by page, and makes conditional requests', async () => {
    const { client } = await upstream();
    const first = await client.fetchPage({ day: DAY, page: 0, limit: 10 });
    expect(first.status).toBe('modified');
    if (first.status !== 'modified') return;
    expect((JSON.parse(first.body) as Entry[]).length).toBe(10);
    expect(first.etag).toMatch(/^".+"$/);
    expect(fake?.requests[0]).toMatchObject({ day: DAY, page: 0, limit: 10, userAgent: USER_AGENT });
    expect(USER_AGENT).toMatch(new RegExp(`^papergraph/${VERSION.replaceAll('.', '\\.')}( \\(\\+https?://.+\\))?$`));
    const again = await client.fetchPage({ day: DAY, page: 0, limit: 10, etag: first.etag });
    expect(again).toEqual({ status: 'not-modified' });
    expect(fake?.requests[1]).toMatchObject({ status: 304, ifNoneMatch: first.etag });
  });

  it('waits as long as a 429 asks (Retry-After), then gets the page', async () => {
    const { client, lines } = await upstream();
    fake?.fail({ kind: '429', retryAfter: 1 });
    const started = Date.now();
    expect((await client.fetchPage({ day: DAY, page: 0, limit: 100 })).status).toBe('modified');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake?.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(lines.join('\n')).toMatch(/429 Too Many Requests \(attempt 1 of 5\): waiting 1 s/);
  });

  it('cuts a longer wait to its cap, and says so', async () => {
    fake = await startFakeUpstream(loadDays([DAY]));
    const { lines, log } = logLines();
    const client = createUpstream({ url: fake.url, timeoutMs: 5000, maxWaitMs: 200, log });
    fake.fail({ kind: '429', retryAfter: 3600 });
    const started = Date.now();
    await client.fetchPage({ day: DAY, page: 0, limit: 100 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lines.join('\n')).toContain('it asked for 3600 s; 0.2 s is the longest single wait');
  });

  it('waits for the window to reset when RateLimit says none are left, without a 429', async () => {
    const { client, lines } = await upstream({ quota: { limit: 2, windowMs: 1000 } });
    const started = Date.now();
    for (let i = 0; i < 3; i++) await client.fetchPage({ day: DAY, page: 0, limit: 100 });
    expect(fake?.requests.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(lines.join('\n')).toMatch(/the upstream rate limit is spent for this window: waiting (\d+ ms|1 s)/);
  });

  it('retries 5xx with backoff, and gives up after 5 attempts', async () => {
    const { client } = await upstream();
    fake?.fail({ kind: '500', times: 2 });
    expect((await client.fetchPage({ day: DAY, page: 0, limit: 100 })).status).toBe('modified');
    expect(fake?.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    fake?.fail({ kind: '500', times: Number.POSITIVE_INFINITY });
    const failure = client.fetchPage({ day: DAY, page: 0, limit: 100 });
    await expect(failure).rejects.toThrow(UpstreamError);
    await expect(failure).rejects.toThrow('500 Internal Server Error, after 5 attempts');
    expect(fake?.requests).toHaveLength(8);
  });

  it('times out a body that comes too late, a connection cut mid-body, and retries both', async () => {
    fake = await startFakeUpstream(loadDays([DAY]));
    const { lines, log } = logLines();
    const client = createUpstream({ url: fake.url, timeoutMs: 1000, retryBaseMs: 10, log });
    // The body would end after 20 s: the timeout (1 s) cuts it, well before.
    fake.fail({ kind: 'slow', delayMs: 20_000 });
    fake.fail({ kind: 'reset' });
    const started = Date.now();
    expect((await client.fetchPage({ day: DAY, page: 0, limit: 100 })).status).toBe('modified');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(fake?.requests).toHaveLength(3);
    expect(lines[0]).toContain('no complete answer within 1000 ms (SYNC_TIMEOUT_MS)');
    expect(lines[1]).toMatch(/terminated|other side closed|socket/i);
  });

  it('does not retry a refusal (4xx), and says an unreachable upstream is unavailable', async () => {
    const { client } = await upstream();
    await expect(client.fetchPage({ day: 'yesterday', page: 0, limit: 100 })).rejects.toMatchObject({
      kind: 'refused',
      message: '400 Bad Request',
    });
    expect(fake?.requests).toHaveLength(1);
    const url = fake?.url ?? '';
    await fake?.close();
    fake = undefined;
    const gone = createUpstream({ url, timeoutMs: 500, retryBaseMs: 5, attempts: 3 });
    await expect(gone.fetchPage({ day: DAY, page: 0, limit: 100 })).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/ECONNREFUSED.*after 3 attempts/),
    });
  });

  it('never has more than one request in flight per process', async () => {
    fake = await startFakeUpstream(loadDays([DAY]), { delayMs: 30 });
    const a = createUpstream({ url: fake.url, timeoutMs: 1000 });
    const b = createUpstream({ url: fake.url, timeoutMs: 1000 });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).fetchPage({ day: DAY, page: i % 3, limit: 10 })),
    );
    expect(fake.requests).toHaveLength(6);
    expect(fake.maxConcurrent).toBe(1);
  });
});
