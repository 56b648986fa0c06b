import { initContextCache } from '@pothos/core';
import type { Viewer } from './auth.ts';
import type { Db } from './db/database.ts';
import type { Metrics } from './metrics.ts';
import type { PapersPubSub } from './pubsub.ts';

/** What every resolver sees; one per request, so Pothos' per-request loaders hang off it. */
export interface Context {
  db: Db;
  /** The API key behind the request; null for public reads. */
  viewer: Viewer | null;
  pubsub: PapersPubSub;
  /** Aborted when the server shuts down: subscriptions complete instead of being cut. */
  shutdown: AbortSignal;
  /** The server's metrics, when it keeps them. */
  metrics: Metrics | undefined;
}

export function createContext(
  db: Db,
  viewer: Viewer | null,
  pubsub: PapersPubSub,
  shutdown: AbortSignal,
  metrics?: Metrics,
): Context {
  return { ...initContextCache(), db, viewer, pubsub, shutdown, metrics };
}
