// The database a command works on: PostgreSQL, or the embedded database's folder.
import type { Config } from '../config.ts';
import { DataDirLockedError } from '../db/data-dir-lock.ts';
import { createDb, type Db } from '../db/database.ts';
import { describeConnectionFailure } from '../db/failures.ts';
import { CliError, EXIT } from './errors.ts';

/**
 * Opens the database for a command, runs fn, closes it. A database that cannot be reached, or
 * an embedded database another process holds (the server, say), is one clear line (exit 4).
 */
export async function withDatabase<T>(config: Config, command: string, fn: (db: Db) => Promise<T>): Promise<T> {
  let db: Db;
  try {
    db = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, role: command });
  } catch (error) {
    if (error instanceof DataDirLockedError) throw new CliError(error.message, EXIT.unavailable);
    throw error;
  }
  try {
    return await fn(db);
  } catch (error) {
    const unavailable = describeConnectionFailure(error, config.databaseUrl);
    if (unavailable) throw new CliError(unavailable, EXIT.unavailable);
    throw error;
  } finally {
    await db.destroy();
  }
}
