// One process at a time in the embedded database's folder. PGlite is a single-process
// database: two processes on one folder both start, and lose and corrupt each other's writes.
// The lock is a file lock held by the kernel (flock, through fs-native-extensions), so it goes
// with its process, kill -9 included: there is no stale lock to clean up, and PostgreSQL's own
// recovery (WAL replay) makes the folder whole again on the next start.
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import fsx from 'fs-native-extensions';

/** Who holds the folder, as its lock file says (for the refusal message). */
export interface LockHolder {
  /** 'server', or the command (`import`, `keys create`, …). */
  role: string;
  pid: number;
  since: string;
  /** The server's GraphQL URL, once it listens. */
  url?: string;
}

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  readonly holder: LockHolder | undefined;
  constructor(dataDir: string, holder: LockHolder | undefined) {
    const who = !holder
      ? 'another process'
      : holder.role === 'server'
        ? `the papergraph server${holder.url ? ` at ${holder.url}` : ''} (pid ${holder.pid}, since ${holder.since})`
        : `papergraph ${holder.role} (pid ${holder.pid}, since ${holder.since})`;
    super(
      `the embedded database in ${dataDir} is in use by ${who}: stop it first (the embedded database serves one process at a time; with DATABASE_URL, any number)`,
    );
    this.holder = holder;
  }
}

export interface DataDirLock {
  /** Adds to what the lock file says about its holder (the server's URL once it listens). */
  describe(details: Partial<LockHolder>): void;
  release(): void;
}

export const LOCK_FILE = 'papergraph.lock';

/** Takes the folder's lock at once, or throws DataDirLockedError naming the holder. */
export function lockDataDir(dataDir: string, role: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  // Opened without truncating: the holder's description must survive a failed attempt.
  const fd = openSync(file, 'a+');
  if (!fsx.tryLock(fd)) {
    let holder: LockHolder | undefined;
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    } catch {
      holder = undefined;
    }
    closeSync(fd);
    throw new DataDirLockedError(dataDir, holder);
  }
  let holder: LockHolder = { role, pid: process.pid, since: new Date().toISOString() };
  const write = () => {
    ftruncateSync(fd, 0);
    writeSync(fd, `${JSON.stringify(holder)}\n`, 0);
  };
  write();
  let released = false;
  return {
    describe(details) {
      holder = { ...holder, ...details };
      if (!released) write();
    },
    release() {
      if (released) return;
      released = true;
      ftruncateSync(fd, 0);
      fsx.unlock(fd);
      closeSync(fd);
    },
  };
}
