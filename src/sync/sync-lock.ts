// One sync at a time per database. Within a process, a registry of the syncs running; across
// processes on PostgreSQL, an advisory lock held by a transaction kept open for the whole sync
// (it ends with the transaction, or with the connection if the process dies: it cannot leak).
// The embedded database has one connection and one process (its folder is locked), so the
// registry is all it needs; a transaction kept open there would block every other query.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/database.ts';
import { findLastRun, isEmbeddedDatabase, tryLockSync } from '../db/queries/sync-state.ts';

const runningHere = new Map<Db, Promise<unknown>>();

/** How often the holder checks that its lock's connection is still alive. */
const HEARTBEAT_MS = 10_000;

/** Whether this process is syncing this database now. */
export function isSyncRunningHere(db: Db): boolean {
  return runningHere.has(db);
}

const shared = new WeakMap<Db, Promise<boolean>>();

/**
 * Whether other processes can open this database (PostgreSQL, not the embedded one), so that
 * the lock must be the database's. Asked once per database object.
 */
export function isSharedDatabase(db: Db): Promise<boolean> {
  let answer = shared.get(db);
  if (!answer) {
    answer = isEmbeddedDatabase(db).then((embedded) => !embedded);
    answer.catch(() => shared.delete(db));
    shared.set(db, answer);
  }
  return answer;
}

export interface LockOptions {
  /** Wait for the other sync to end (polling), rather than give up at once. */
  wait: boolean;
  /** Told once, when another sync holds the lock, who it is. */
  onBusy?: ((holder: string) => void) | undefined;
  /** How often a waiting sync tries again (default 1 s). */
  pollMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

async function describeHolder(db: Db): Promise<string> {
  const run = await findLastRun(db).catch(() => undefined);
  if (run?.status !== 'running') return 'another process';
  return `run ${run.id} (pid ${run.pid} on ${run.host}, since ${run.started_at.toISOString()})`;
}

type Locked<T> = { ran: true; value: T } | { ran: false };

/**
 * Runs fn while holding the sync lock of this database; `{ ran: false }` when another sync holds
 * it and options.wait is false. fn's signal aborts if the lock is lost (its connection broke),
 * so that the sync stops after the day in hand.
 */
export async function withSyncLock<T>(
  db: Db,
  options: LockOptions,
  fn: (lost: AbortSignal) => Promise<T>,
): Promise<Locked<T>> {
  let told = false;
  const busy = (holder: string) => {
    if (!told) options.onBusy?.(holder);
    told = true;
  };
  for (let other = runningHere.get(db); other; other = runningHere.get(db)) {
    busy('another sync of this process');
    if (!options.wait) return { ran: false };
    await other.catch(() => {});
  }
  let done!: () => void;
  runningHere.set(
    db,
    new Promise<void>((resolve) => {
      done = resolve;
    }),
  );
  try {
    if (!(await isSharedDatabase(db))) return { ran: true, value: await fn(new AbortController().signal) };
    return await withDatabaseLock(db, options, busy, fn);
  } finally {
    runningHere.delete(db);
    done();
  }
}

async function withDatabaseLock<T>(
  db: Db,
  options: LockOptions,
  busy: (holder: string) => void,
  fn: (lost: AbortSignal) => Promise<T>,
): Promise<Locked<T>> {
  const lost = new AbortController();
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let settle!: (held: boolean) => void;
  let fail!: (error: unknown) => void;
  const acquired = new Promise<boolean>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  let held = false;
  const holder = db
    .transaction()
    .execute(async (trx) => {
      while (!(await tryLockSync(trx))) {
        busy(await describeHolder(db));
        if (!options.wait) return settle(false);
        await sleep(options.pollMs ?? 1000, undefined, options.signal ? { signal: options.signal } : {});
      }
      held = true;
      settle(true);
      // A heartbeat on the lock's connection: if it dies (and the lock with it), the sync hears
      // of it within HEARTBEAT_MS and stops after the day in hand.
      const stop = new AbortController();
      void released.then(() => stop.abort());
      for (;;) {
        try {
          await sleep(HEARTBEAT_MS, undefined, { signal: stop.signal });
        } catch {
          return;
        }
        await tryLockSync(trx);
      }
    })
    .catch((error: unknown) => {
      if (held) lost.abort(new Error(`lost the sync lock: ${(error as Error).message}`));
      else fail(error);
    });
  if (!(await acquired)) {
    await holder;
    return { ran: false };
  }
  try {
    return { ran: true, value: await fn(lost.signal) };
  } finally {
    release();
    await holder;
  }
}
