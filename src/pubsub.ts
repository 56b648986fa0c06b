import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Db } from './db/database.ts';
import { findTopicSlugsWithAreas } from './db/queries/topics.ts';

/** The events subscriptions follow; payloads carry ids, resolvers load the rest. */
export type PapersPubSub = ReturnType<typeof createPapersPubSub>;

/**
 * In-process events, or through Redis when a URL is given, so that every server process
 * sharing that Redis sees the events of the others.
 */
export function createPapersPubSub(redis?: { publishClient: Redis; subscribeClient: Redis }) {
  const eventTarget = redis ? createRedisEventTarget(redis) : undefined;
  return createPubSub<{
    'paper:added': [PaperAdded];
    'paper:upvoted': [paperId: number, { paperId: number }];
    /** A topic was added or changed: cached facts about the taxonomy are stale. */
    'taxonomy:changed': [];
  }>(eventTarget ? { eventTarget } : {});
}

/** A new paper, as subscriptions see it: its id, and the slugs of its topics and their areas. */
export interface PaperAdded {
  paperId: number;
  topics: string[];
}

/**
 * The events for new papers, read inside the transaction that added them, so that announcing
 * them after the commit needs no database (a failure there would lose the events).
 */
export async function paperAddedEvents(db: Db, paperIds: readonly number[]): Promise<PaperAdded[]> {
  if (paperIds.length === 0) return [];
  const slugs = await findTopicSlugsWithAreas(db, paperIds);
  return paperIds.map((paperId, i) => ({ paperId, topics: slugs[i] ?? [] }));
}

/** Tells subscribers about new papers, after their transaction committed. */
export function announcePapersAdded(pubsub: PapersPubSub, events: readonly PaperAdded[]): void {
  for (const event of events) pubsub.publish('paper:added', event);
}

/** Reads and announces at once, for writers that announce after their own commit. */
export async function publishPapersAdded(db: Db, pubsub: PapersPubSub, paperIds: readonly number[]): Promise<void> {
  announcePapersAdded(pubsub, await paperAddedEvents(db, paperIds));
}
