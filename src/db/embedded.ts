// The embedded database: PGlite (PostgreSQL in WebAssembly), in memory or in a folder that one
// process holds at a time. Loaded only when no DATABASE_URL is set.
import { mkdirSync } from 'node:fs';
import { PGlite, type PGliteOptions, types as pgliteTypes } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';

// Dates stay 'YYYY-MM-DD' strings, as on pg (see database.ts).
const identity = (value: string) => value;

/** PGlite as papergraph opens it everywhere (server, commands, tests): dates as strings, pg_trgm. */
export function pgliteOptions(): PGliteOptions {
  return { parsers: { [pgliteTypes.DATE]: identity }, extensions: { pg_trgm } };
}

/** PGlite that gives its folder's lock back once it has closed. */
class LockedPGlite extends PGlite {
  readonly lock: DataDirLock;
  constructor(options: PGliteOptions, lock: DataDirLock) {
    super(options);
    this.lock = lock;
  }
  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      this.lock.release();
    }
  }
}

/**
 * Opens PGlite (in memory, or in a folder it then holds alone: see data-dir-lock.ts) and waits
 * until it is ready. Throws DataDirLockedError when another process has the folder.
 */
export async function openPGlite(
  dataDir?: string,
  role = 'papergraph',
): Promise<{ pglite: PGlite; lock: DataDirLock | undefined }> {
  if (!dataDir) {
    const pglite = new PGlite(pgliteOptions());
    await pglite.waitReady;
    return { pglite, lock: undefined };
  }
  mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir, role);
  try {
    // The options-object form: with new PGlite(undefined, options) the options are ignored.
    const pglite = new LockedPGlite({ ...pgliteOptions(), dataDir }, lock);
    await pglite.waitReady;
    return { pglite, lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}
