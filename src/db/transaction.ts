// Transactions, and the one way the catalogue (papers, their topics, authors and organizations,
// topics and their rules) is written: one writer at a time, retried when PostgreSQL gives up on
// a transaction that is safe to run again.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Semaphore } from '../util/semaphore.ts';
import type { Db } from './database.ts';
import { WriteQueueFullError } from './failures.ts';
import { lockTopicsForWriting } from './queries/topics.ts';

/** Runs fn in a transaction, or inside the caller's when db already is one. */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}

/**
 * How long a catalogue write waits for its turn in this process before it is refused (with
 * nothing written), well under the request deadline, so that the refusal is the answer.
 */
export const WRITE_QUEUE_TIMEOUT_MS = 5_000;

/**
 * Catalogue writers run one at a time anyway (they queue on the writers' lock in PostgreSQL).
 * Queued in PostgreSQL, each would hold a pooled connection while it waits, and a burst of
 * writes would take the whole pool from the reads; queued here, a waiting writer holds none.
 * One turn per process and database (a Kysely instance).
 */
const writeTurns = new WeakMap<object, Semaphore>();

function turnsOf(db: Db): Semaphore {
  let turns = writeTurns.get(db);
  if (!turns) {
    turns = new Semaphore(1);
    writeTurns.set(db, turns);
  }
  return turns;
}

/**
 * SQLSTATEs after which the whole transaction can simply run again: a deadlock victim, a
 * serialization failure, and a unique violation (a concurrent writer created the row this one
 * was about to create; run again, the transaction finds it).
 */
const RETRYABLE = new Set(['40P01', '40001', '23505']);

export const WRITE_ATTEMPTS = 5;

/** 'retry' (attempt, error) for every catalogue write run again: metrics count them. */
export const writeEvents = new EventEmitter<{ retry: [attempt: number, error: unknown] }>();

const sqlState = (error: unknown) => (error as { code?: unknown } | undefined)?.code;

export interface WriteOptions {
  /** How many times to try (WRITE_ATTEMPTS); 1 for work that cannot run twice. */
  attempts?: number | undefined;
  /** Called before each new attempt (for logs and metrics). */
  onRetry?: ((attempt: number, error: unknown) => void) | undefined;
}

/**
 * Runs fn as a catalogue write: after its turn in this process (WriteQueueFullError when none
 * comes within WRITE_QUEUE_TIMEOUT_MS), in a transaction that first takes the writers' lock (see
 * lockTopicsForWriting), so concurrent writers queue and never deadlock, and that runs again
 * (at most WRITE_ATTEMPTS times, after a random pause that doubles each time) when PostgreSQL
 * aborts it for a reason a second run resolves. Inside the caller's transaction it takes the
 * lock and runs fn once: the outermost call owns the retries.
 */
export async function inWriteTransaction<T>(
  db: Db,
  fn: (trx: Db) => Promise<T>,
  options: WriteOptions = {},
): Promise<T> {
  const run = async (trx: Db) => {
    await lockTopicsForWriting(trx);
    return fn(trx);
  };
  if (db.isTransaction) return run(db);
  const turns = turnsOf(db);
  if (!(await turns.acquire(1, WRITE_QUEUE_TIMEOUT_MS))) throw new WriteQueueFullError();
  try {
    return await retried(db, run, options);
  } finally {
    turns.release(1);
  }
}

async function retried<T>(db: Db, run: (trx: Db) => Promise<T>, options: WriteOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(run);
    } catch (error) {
      const code = sqlState(error);
      if (attempt >= (options.attempts ?? WRITE_ATTEMPTS) || typeof code !== 'string' || !RETRYABLE.has(code)) {
        throw error;
      }
      options.onRetry?.(attempt, error);
      writeEvents.emit('retry', attempt, error);
      // Full jitter: writers that collided spread out instead of colliding again.
      await sleep(Math.random() * 20 * 2 ** attempt);
    }
  }
}
