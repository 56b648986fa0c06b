import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimitOptions {
  /** Requests per client per minute. */
  perMinute: number;
  /** Shared counters for several server processes; in memory (per process) when absent. */
  redis?: Redis | undefined;
}

/** A fixed-window limiter per client, in Redis when given (falling back to memory if Redis fails). */
export function createRateLimiter({ perMinute, redis }: RateLimitOptions): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points: perMinute, duration: 60, keyPrefix: 'papergraph-rl' });
  if (!redis) return memory;
  return new RateLimiterRedis({
    storeClient: redis,
    points: perMinute,
    duration: 60,
    keyPrefix: 'papergraph-rl',
    insuranceLimiter: memory,
  });
}

/**
 * What a request counts against: its API key when it sends one (a hash of it: keys stay out of
 * Redis and memory dumps), else its network address (behind a proxy, the proxy's).
 */
function clientKey(request: Request, serverContext: unknown): string {
  const authorization = request.headers.get('authorization');
  if (authorization) return `key:${createHash('sha256').update(authorization).digest('hex').slice(0, 32)}`;
  const req = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req;
  return `ip:${req?.socket?.remoteAddress ?? 'local'}`;
}

function headers(limit: number, res: RateLimiterRes): Record<string, string> {
  const reset = Math.ceil(res.msBeforeNext / 1000);
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, res.remainingPoints)),
    'RateLimit-Reset': String(reset),
    'RateLimit-Policy': `${limit};w=60`,
  };
}

/**
 * Counts every GraphQL request against its client; over the limit the answer is 429 with a
 * GraphQL error (code RATE_LIMITED) and Retry-After. Every answer carries RateLimit headers.
 */
export function useRateLimit(limiter: RateLimiterAbstract, limit: number): Plugin {
  const pending = new WeakMap<Request, Record<string, string>>();
  return {
    async onRequest({ request, serverContext, endResponse, fetchAPI }) {
      try {
        const res = await limiter.consume(clientKey(request, serverContext));
        pending.set(request, headers(limit, res));
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfter = String(Math.ceil(rejection.msBeforeNext / 1000));
        const body = {
          errors: [
            {
              message: `Rate limit exceeded: ${limit} requests a minute. Try again in ${retryAfter} s.`,
              extensions: { code: 'RATE_LIMITED' },
            },
          ],
        };
        endResponse(
          new fetchAPI.Response(JSON.stringify(body), {
            status: 429,
            headers: { 'content-type': 'application/json', 'Retry-After': retryAfter, ...headers(limit, rejection) },
          }),
        );
      }
    },
    onResponse({ request, response }) {
      for (const [name, value] of Object.entries(pending.get(request) ?? {})) response.headers.set(name, value);
    },
  };
}
