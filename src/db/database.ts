import { mkdirSync } from 'node:fs';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, type LogEvent, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './types.ts';

export type Db = Kysely<DB>;

export interface DbOptions {
  /** postgres:// URL; absent selects the embedded PGlite database. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; absent (with no URL) keeps the database in memory. */
  dataDir?: string | undefined;
  /** Extra pg Pool settings (tests use `options` to pin a search_path). */
  pool?: pg.PoolConfig;
  /** Kysely's log hook: every executed statement is reported here (tests count them). */
  log?: (event: LogEvent) => void;
  /** PostgreSQL cancels statements running longer than this (no limit when absent). */
  statementTimeoutMs?: number | undefined;
}

// Dates stay 'YYYY-MM-DD' strings on both drivers: a JS Date would shift them by the
// server's time zone, and the API's Date scalar is a calendar date, not an instant.
const DATE_OID = 1082;
const identity = (value: string) => value;

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === DATE_OID ? identity : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/** Opens PGlite (in memory or in a folder) and waits until it is ready. */
export async function openPGlite(dataDir?: string): Promise<PGlite> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // The options-object form: with new PGlite(undefined, options) the options are ignored.
  const pglite = new PGlite({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [pgliteTypes.DATE]: identity },
    extensions: { pg_trgm },
  });
  await pglite.waitReady;
  return pglite;
}

/** A Kysely instance on PostgreSQL (a pg Pool) or on the embedded PGlite. */
export async function createDb(options: DbOptions): Promise<Db> {
  const log = options.log;
  if (options.databaseUrl) {
    const timeout = options.statementTimeoutMs ? ` -c statement_timeout=${options.statementTimeoutMs}` : '';
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 10,
      types: pgTypes(),
      ...options.pool,
      options: `${options.pool?.options ?? ''}${timeout}`.trim() || undefined,
    });
    // A connection that dies (database restart, network) must not crash the process with an
    // unhandled 'error' event: the query on it fails (and says why), the pool drops it, and
    // the next query opens a new one. The pool only listens to idle clients; listen to all.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    return new Kysely<DB>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
  }
  const pglite = await openPGlite(options.dataDir);
  if (options.statementTimeoutMs) await pglite.exec(`set statement_timeout = ${Number(options.statementTimeoutMs)}`);
  return new Kysely<DB>({ dialect: new PGliteDialect({ pglite }), ...(log ? { log } : {}) });
}

/** Runs fn in a transaction, or inside the caller's when db already is one. */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}
