// The HTTP client of the Daily Papers API, written to be a good citizen of someone else's
// server: one request at a time per process, a User-Agent that says who we are, conditional
// requests, the upstream's rate limits honoured, and transient failures retried a bounded number
// of times with exponential backoff and jitter.
import { setTimeout as sleep } from 'node:timers/promises';
import { VERSION } from '../version.ts';
import { rateLimitOf, retryAfterMs } from './rate-limit-headers.ts';
import type { SyncLog } from './sync-log.ts';

/** The longest the client ever waits at once for a rate limit; a longer Retry-After is cut to this (and said). */
export const MAX_WAIT_MS = 10 * 60_000;
/** Attempts per request, the first included. */
export const ATTEMPTS = 5;
/** The first retry's pause; it doubles with each retry (full jitter), up to RETRY_CAP_MS. */
const RETRY_BASE_MS = 1000;
const RETRY_CAP_MS = 60_000;
/** A page of 100 records is well under a megabyte; anything this big is not a page. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** `papergraph/<version>`: who is asking, so that the upstream's operators can tell us apart. */
export const USER_AGENT = `papergraph/${VERSION}`;

export interface UpstreamOptions {
  /** The API's URL (SYNC_URL); `date`, `p` and `limit` are added to its query. */
  url: string;
  /** One request, body included, fails after this long (SYNC_TIMEOUT_MS). */
  timeoutMs: number;
  attempts?: number | undefined;
  retryBaseMs?: number | undefined;
  maxWaitMs?: number | undefined;
  log?: SyncLog | undefined;
}

export interface PageRequest {
  day: string;
  page: number;
  limit: number;
  /** Validators of the page as last merged: sent as If-None-Match / If-Modified-Since. */
  etag?: string | null | undefined;
  lastModified?: string | null | undefined;
}

export type PageResponse =
  | { status: 'modified'; body: string; etag: string | null; lastModified: string | null }
  | { status: 'not-modified' };

/**
 * The upstream could not be asked: it kept failing (`unavailable`, after every attempt) or it
 * refused the request (`refused`, a 4xx other than 408 and 429: asking again would not help).
 */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly kind: 'unavailable' | 'refused';
  constructor(kind: 'unavailable' | 'refused', message: string) {
    super(message);
    this.kind = kind;
  }
}

/** The sync was told to stop while it waited for the upstream. */
export class SyncStopped extends Error {
  override name = 'SyncStopped';
}

// One request in flight per process, whichever sync asks; and one pause per upstream host when
// its rate limit is spent, shared by every client of that host in the process.
let queue: Promise<unknown> = Promise.resolve();
const notBefore = new Map<string, number>();

function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => {});
  return run;
}

/** A failure worth another attempt: how to describe it, and how long the upstream asked us to wait. */
class Transient extends Error {
  readonly waitMs: number | undefined;
  constructor(message: string, waitMs?: number) {
    super(message);
    this.waitMs = waitMs;
  }
}

async function readBody(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (length > MAX_BODY_BYTES)
    throw new UpstreamError('refused', `the response is ${length} bytes, over ${MAX_BODY_BYTES}`);
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new UpstreamError('refused', `the response is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The cause a fetch error carries (`fetch failed` hides ECONNREFUSED and the like). */
function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause && cause !== e.message ? `${e.message} (${cause})` : String(e.message ?? error);
}

export interface Upstream {
  fetchPage(request: PageRequest, signal?: AbortSignal): Promise<PageResponse>;
  /** HTTP requests sent so far (each attempt counts). */
  readonly requests: number;
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const attempts = options.attempts ?? ATTEMPTS;
  const retryBaseMs = options.retryBaseMs ?? RETRY_BASE_MS;
  const maxWaitMs = options.maxWaitMs ?? MAX_WAIT_MS;
  const origin = new URL(options.url).origin;
  let requests = 0;

  /** Waits `ms` (at most maxWaitMs, saying so when the upstream asked for more), or until stopped. */
  const pause = async (ms: number, why: string, fields: object, signal?: AbortSignal) => {
    const wait = Math.min(ms, maxWaitMs);
    const capped =
      ms > maxWaitMs
        ? ` (it asked for ${Math.ceil(ms / 1000)} s; ${maxWaitMs / 1000} s is the longest single wait)`
        : '';
    const shown = wait < 1000 ? `${Math.round(wait)} ms` : `${Math.ceil(wait / 1000)} s`;
    options.log?.warn({ ...fields, waitMs: wait }, `${why}: waiting ${shown}${capped}`);
    try {
      await sleep(wait, undefined, signal ? { signal } : {});
    } catch {
      throw new SyncStopped('stopped while waiting for the upstream');
    }
  };

  const once = async (request: PageRequest, signal?: AbortSignal): Promise<PageResponse> => {
    const url = new URL(options.url);
    url.searchParams.set('date', request.day);
    url.searchParams.set('p', String(request.page));
    url.searchParams.set('limit', String(request.limit));
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json' };
    if (request.etag) headers['if-none-match'] = request.etag;
    if (request.lastModified) headers['if-modified-since'] = request.lastModified;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    requests++;
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      const window = rateLimitOf(response.headers);
      if (window && window.remaining === 0 && window.resetMs > 0) {
        notBefore.set(origin, Math.max(notBefore.get(origin) ?? 0, Date.now() + window.resetMs));
      }
      if (response.status === 304) {
        await response.body?.cancel();
        if (!request.etag && !request.lastModified)
          throw new UpstreamError('refused', '304 Not Modified to an unconditional request');
        return { status: 'not-modified' };
      }
      if (response.status === 429 || response.status === 408 || response.status >= 500) {
        await response.body?.cancel();
        const asked =
          retryAfterMs(response.headers.get('retry-after')) ?? (window?.remaining === 0 ? window.resetMs : undefined);
        throw new Transient(`${response.status} ${response.statusText}`.trim(), asked);
      }
      if (response.status < 200 || response.status >= 300) {
        await response.body?.cancel();
        throw new UpstreamError('refused', `${response.status} ${response.statusText}`.trim());
      }
      const body = await readBody(response);
      return {
        status: 'modified',
        body,
        etag: response.headers.get('etag'),
        lastModified: response.headers.get('last-modified'),
      };
    } catch (error) {
      if (error instanceof Transient || error instanceof UpstreamError) throw error;
      if (signal?.aborted) throw new SyncStopped('stopped during a request');
      if (timeout.aborted) throw new Transient(`no complete answer within ${options.timeoutMs} ms (SYNC_TIMEOUT_MS)`);
      throw new Transient(describe(error));
    }
  };

  const fetchPage = (request: PageRequest, signal?: AbortSignal) =>
    exclusive(async () => {
      const fields = { day: request.day, page: request.page };
      for (let attempt = 1; ; attempt++) {
        const wait = (notBefore.get(origin) ?? 0) - Date.now();
        if (wait > 0) await pause(wait, 'the upstream rate limit is spent for this window', fields, signal);
        if (signal?.aborted) throw new SyncStopped('stopped');
        try {
          return await once(request, signal);
        } catch (error) {
          if (!(error instanceof Transient)) throw error;
          if (attempt >= attempts) {
            throw new UpstreamError('unavailable', `${error.message}, after ${attempts} attempts`);
          }
          const backoff = Math.random() * Math.min(RETRY_CAP_MS, retryBaseMs * 2 ** (attempt - 1));
          await pause(
            error.waitMs ?? backoff,
            `${request.day} page ${request.page}: ${error.message} (attempt ${attempt} of ${attempts})`,
            fields,
            signal,
          );
        }
      }
    });

  return {
    fetchPage,
    get requests() {
      return requests;
    },
  };
}
