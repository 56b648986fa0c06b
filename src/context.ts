import { initContextCache } from '@pothos/core';
import type { Db } from './db/database.ts';

/** What every resolver sees; one per request, so Pothos' per-request loaders hang off it. */
export interface Context {
  db: Db;
}

export function createContext(db: Db): Context {
  return { ...initContextCache(), db };
}
