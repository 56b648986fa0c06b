import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';

/** The events subscriptions follow; payloads carry ids, resolvers load the rest. */
export type PapersPubSub = ReturnType<typeof createPapersPubSub>;

/**
 * In-process events, or through Redis when a URL is given, so that every server process
 * sharing that Redis sees the events of the others.
 */
export function createPapersPubSub(redis?: { publishClient: Redis; subscribeClient: Redis }) {
  const eventTarget = redis ? createRedisEventTarget(redis) : undefined;
  return createPubSub<{
    'paper:added': [{ paperId: number; topics: string[] }];
    'paper:upvoted': [paperId: number, { paperId: number }];
  }>(eventTarget ? { eventTarget } : {});
}
