// Operations per client address and minute, on every transport (HTTP, Server-Sent Events,
// WebSocket). Counted before authentication, so that guessing keys costs the guesser, not the
// database. Counters live in Redis when several processes share it, else in the process; when
// Redis fails or stalls, the process's own counters take over at once for a while.
import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** How long the in-process counters stand in after Redis failed, before Redis is tried again. */
const REDIS_PAUSE_MS = 5_000;

/** Counts one operation of a client; rejects with RateLimiterRes when over the limit. */
export interface RateLimiter {
  perMinute: number;
  consume(client: string): Promise<RateLimiterRes>;
}

export interface RateLimitOptions {
  /** Operations per client per minute. */
  perMinute: number;
  /** Shared counters for several server processes; in the process when absent. */
  redis?: Redis | undefined;
  /** Called when Redis fails and the process's counters stand in (for logs and metrics). */
  onRedisFailure?: ((error: unknown) => void) | undefined;
}

export function createRateLimiter({ perMinute, redis, onRedisFailure }: RateLimitOptions): RateLimiter {
  const memory = new RateLimiterMemory({ points: perMinute, duration: 60, keyPrefix: 'papergraph-rl' });
  if (!redis) return { perMinute, consume: (client) => memory.consume(client) };
  const shared = new RateLimiterRedis({
    storeClient: redis,
    points: perMinute,
    duration: 60,
    keyPrefix: 'papergraph-rl',
    // Not connected: fail at once (to the in-process counters) rather than wait.
    rejectIfRedisNotReady: true,
  });
  let pausedUntil = 0;
  return {
    perMinute,
    async consume(client) {
      if (performance.now() < pausedUntil) return memory.consume(client);
      try {
        return await shared.consume(client);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) throw rejection;
        // Redis failed or timed out: a stalled Redis must not make every request wait.
        pausedUntil = performance.now() + REDIS_PAUSE_MS;
        onRedisFailure?.(rejection);
        return memory.consume(client);
      }
    },
  };
}

/**
 * A request's client address: the connection's peer, or with `trustProxy` the address the
 * reverse proxy saw (the last entry of X-Forwarded-For, the one the proxy added).
 */
export function clientAddress(request: Request, serverContext: unknown, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  const req = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req;
  return req?.socket?.remoteAddress ?? 'local';
}

export function rateLimitHeaders(limit: number, res: RateLimiterRes): Record<string, string> {
  const reset = Math.ceil(res.msBeforeNext / 1000);
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, res.remainingPoints)),
    'RateLimit-Reset': String(reset),
    'RateLimit-Policy': `${limit};w=60`,
  };
}

/** The error a refused operation gets, on any transport. */
export function rateLimitMessage(limit: number, res: RateLimiterRes) {
  const retryAfter = String(Math.ceil(res.msBeforeNext / 1000));
  return {
    retryAfter,
    error: {
      message: `Rate limit exceeded: ${limit} operations a minute. Try again in ${retryAfter} s.`,
      extensions: { code: 'RATE_LIMITED' },
    },
  };
}

/**
 * Counts every HTTP request to GraphQL against its client address (a subscription over SSE is
 * one request); over the limit the answer is 429 with a GraphQL error (code RATE_LIMITED) and
 * Retry-After. Every answer carries RateLimit headers. WebSocket operations are counted where
 * the socket server accepts them.
 */
export function useRateLimit(limiter: RateLimiter, options: { trustProxy: boolean; onLimited?: () => void }): Plugin {
  const pending = new WeakMap<Request, Record<string, string>>();
  return {
    async onRequest({ request, serverContext, endResponse, fetchAPI, url }) {
      // Probes and GraphiQL's static files are not operations (feeds are: they run queries).
      if (url.pathname === '/health' || url.pathname === '/ready' || url.pathname.startsWith('/graphiql/assets/'))
        return;
      try {
        const res = await limiter.consume(clientAddress(request, serverContext, options.trustProxy));
        pending.set(request, rateLimitHeaders(limiter.perMinute, res));
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        options.onLimited?.();
        const { retryAfter, error } = rateLimitMessage(limiter.perMinute, rejection);
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [error] }), {
            status: 429,
            headers: {
              'content-type': 'application/json',
              'Retry-After': retryAfter,
              ...rateLimitHeaders(limiter.perMinute, rejection),
            },
          }),
        );
      }
    },
    onResponse({ request, response }) {
      for (const [name, value] of Object.entries(pending.get(request) ?? {})) response.headers.set(name, value);
    },
  };
}
