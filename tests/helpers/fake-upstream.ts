// A local stand-in for https://huggingface.co/api/daily_papers: the records of
// ../shared/data/hf-daily-papers.jsonl (or a small generated set when that file is absent)
// grouped by their feature day, paged with `p` and `limit`, with ETags, RateLimit headers, and
// faults on demand. No test reaches the internet.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { apiEntry } from './api-records.ts';

export const SHARED_RECORDS = path.resolve('../shared/data/hf-daily-papers.jsonl');

export type Entry = { paper: Record<string, unknown>; [key: string]: unknown };

let shared: Map<string, Entry[]> | undefined;

/**
 * The shared records by feature day (all of them when `days` is absent), each entry as the API
 * sends it (without the file's own `_file_date` and recovery marks). Without the shared file:
 * a generated set of 20 entries a day, and a warning.
 */
export function loadDays(days?: readonly string[]): Map<string, Entry[]> {
  if (!existsSync(SHARED_RECORDS)) {
    console.warn(`${SHARED_RECORDS} is absent: the fake upstream serves generated records`);
    const wanted = days ?? ['2026-04-20', '2026-04-21', '2026-04-22'];
    return new Map(wanted.map((day) => [day, Array.from({ length: 20 }, () => apiEntry({ _file_date: undefined }))]));
  }
  if (!shared) {
    shared = new Map();
    for (const line of readFileSync(SHARED_RECORDS, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const { _file_date, _recovered_from_python_repr, ...entry } = JSON.parse(line) as Entry & { _file_date: string };
      const list = shared.get(_file_date) ?? [];
      list.push(entry as Entry);
      shared.set(_file_date, list);
    }
  }
  const all = shared;
  const copy = (list: Entry[]) => list.map((e) => structuredClone(e));
  if (!days) return new Map([...all].map(([day, list]) => [day, copy(list)]));
  return new Map(days.map((day) => [day, copy(all.get(day) ?? [])]));
}

export type FaultKind =
  | '429'
  | '500'
  /** Headers at once, then the body too late (beyond the client's timeout). */
  | 'slow'
  /** Half the JSON, then a clean end of the response. */
  | 'truncated'
  /** Half the body of a declared length, then the connection is cut. */
  | 'reset'
  /** Not JSON at all (an HTML error page). */
  | 'malformed'
  /** JSON, but an error object instead of an array. */
  | 'not-array'
  /** The page's first entry without a title. */
  | 'no-title'
  /** The page's first entry with a bad value (negative upvotes): a bad record, not a bad page. */
  | 'bad-record';

export interface Fault {
  kind: FaultKind;
  /** Only for this day (and page); any request when absent. */
  day?: string;
  page?: number;
  /** How many requests it hits (1 unless given; Infinity for all). */
  times?: number;
  /** Retry-After of a 429, in seconds (1 unless given). */
  retryAfter?: number;
  /** How late a slow body comes, in ms (5000 unless given). */
  delayMs?: number;
}

export interface RequestLog {
  day: string;
  page: number;
  limit: number;
  status: number;
  userAgent: string | undefined;
  ifNoneMatch: string | undefined;
  at: number;
}

export interface FakeUpstreamOptions {
  /** Send ETags and answer If-None-Match with 304 (default true). */
  etags?: boolean;
  /** Wait this long before answering each request (ms). */
  delayMs?: number;
  /** A fixed window per client: at most `limit` requests each `windowMs`, then 429. */
  quota?: { limit: number; windowMs: number };
}

export interface FakeUpstream {
  /** The API's URL (for SYNC_URL). */
  url: string;
  /** The entries served, by day: change them to change what the upstream says. */
  days: Map<string, Entry[]>;
  requests: RequestLog[];
  /** The most requests it was answering at once. */
  maxConcurrent: number;
  fail(fault: Fault): void;
  /** Called as each request arrives (before any delay). */
  onRequest?: (request: { day: string; page: number }) => void;
  delayMs: number;
  /** While set, every request waits for it before it is answered. */
  hold?: Promise<void> | undefined;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeUpstream(
  days: Map<string, Entry[]>,
  options: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  const faults: (Fault & { left: number })[] = [];
  let inFlight = 0;
  let window = { start: Date.now(), used: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://upstream.test');
    const day = url.searchParams.get('date') ?? '';
    const page = Number(url.searchParams.get('p') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const log: RequestLog = {
      day,
      page,
      limit,
      status: 200,
      userAgent: req.headers['user-agent'],
      ifNoneMatch: req.headers['if-none-match'],
      at: Date.now(),
    };
    fake.requests.push(log);
    fake.onRequest?.({ day, page });
    await fake.hold;
    if (fake.delayMs > 0) await sleep(fake.delayMs);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      log.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (options.quota) {
      const now = Date.now();
      if (now - window.start >= options.quota.windowMs) window = { start: now, used: 0 };
      window.used++;
      const left = Math.max(0, options.quota.limit - window.used);
      const reset = Math.ceil((window.start + options.quota.windowMs - now) / 1000);
      res.setHeader('RateLimit', `"api";r=${left};t=${reset}`);
      res.setHeader(
        'RateLimit-Policy',
        `"fixed window";"api";q=${options.quota.limit};w=${options.quota.windowMs / 1000}`,
      );
      if (window.used > options.quota.limit)
        return send(429, '{"error":"rate limited"}', { 'retry-after': String(reset) });
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !(limit >= 1 && limit <= 100) || !(page >= 0)) {
      return send(400, '{"error":"bad parameters"}');
    }
    let entries = (fake.days.get(day) ?? []).slice(page * limit, (page + 1) * limit);
    const fault = faults.find(
      (f) => f.left > 0 && (!f.day || f.day === day) && (f.page === undefined || f.page === page),
    );
    if (fault) fault.left--;
    switch (fault?.kind) {
      case '429': {
        const after = String(fault.retryAfter ?? 1);
        return send(429, '{"error":"rate limited"}', { 'retry-after': after, ratelimit: `"api";r=0;t=${after}` });
      }
      case '500':
        return send(500, '{"error":"internal"}');
      case 'malformed':
        return send(200, '<html><body>Bad gateway</body></html>', { 'content-type': 'text/html' });
      case 'not-array':
        return send(200, '{"error":"Invalid date"}');
      case 'no-title':
        entries = entries.map((e, i) =>
          i === 0 ? { ...e, title: undefined, paper: { ...e.paper, title: undefined } } : e,
        );
        break;
      case 'bad-record':
        entries = entries.map((e, i) => (i === 0 ? { ...e, paper: { ...e.paper, upvotes: -1 } } : e));
        break;
    }
    const body = JSON.stringify(entries);
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    const headers: Record<string, string> = options.etags === false ? {} : { etag };
    if (!fault && options.etags !== false && req.headers['if-none-match'] === etag) {
      log.status = 304;
      res.writeHead(304, headers);
      return res.end();
    }
    const half = body.slice(0, Math.floor(body.length / 2));
    switch (fault?.kind) {
      case 'slow':
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.write(half);
        await sleep(fault.delayMs ?? 5000);
        return res.end(body.slice(half.length));
      case 'truncated':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(half);
      case 'reset':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
        res.write(half);
        await sleep(20);
        return res.socket?.destroy();
    }
    send(200, body, headers);
  };

  const server = createServer((req, res) => {
    inFlight++;
    fake.maxConcurrent = Math.max(fake.maxConcurrent, inFlight);
    res.on('close', () => inFlight--);
    handle(req, res).catch(() => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const fake: FakeUpstream = {
    url: `http://127.0.0.1:${port}/api/daily_papers`,
    days,
    requests: [],
    maxConcurrent: 0,
    delayMs: options.delayMs ?? 0,
    fail: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return fake;
}

/** A sync log that keeps its lines (to assert what an operator would read). */
export function captureLog() {
  const lines: string[] = [];
  const keep = (_fields: object, message: string) => {
    lines.push(message);
  };
  return { lines, log: { info: keep, warn: keep }, text: () => lines.join('\n') };
}

/** The arXiv ids of a day's entries, in order. */
export const idsOf = (entries: readonly Entry[]) => entries.map((e) => String(e.paper.id));

/** The answers the upstream gave, by day, in order: { '2026-04-20': [200, 304], ... }. */
export function statusesByDay(fake: FakeUpstream): Record<string, number[]> {
  const byDay: Record<string, number[]> = {};
  for (const r of fake.requests) {
    const list = byDay[r.day] ?? [];
    list.push(r.status);
    byDay[r.day] = list;
  }
  return byDay;
}
