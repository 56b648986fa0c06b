import { Kysely, type LogEvent, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DataDirLock } from './data-dir-lock.ts';
import { PGliteDialect } from './pglite-dialect.ts';
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
  /** Connections of the pool (PostgreSQL). */
  poolSize?: number | undefined;
  /** Who opens the embedded database's folder, for the message another process gets (the command's name). */
  role?: string | undefined;
}

/** How long a query waits for a free connection, or for a new one to open, before it fails. */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * How long past the statement timeout the client waits for an answer before it gives up on the
 * connection: PostgreSQL cancels a slow statement itself, so no answer by then means the network
 * or the server stalled.
 */
const ANSWER_GRACE_MS = 2_000;

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

const locks = new WeakMap<Db, DataDirLock>();
const pools = new WeakMap<Db, pg.Pool>();

/** The pool's connections, for metrics: total, idle, and queries waiting for one (PostgreSQL only). */
export function poolFigures(db: Db): { total: number; idle: number; waiting: number } | undefined {
  const pool = pools.get(db);
  return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

/** The embedded database's folder lock of this database, if it has one (the server adds its URL to it). */
export function dataDirLock(db: Db): DataDirLock | undefined {
  return locks.get(db);
}

/**
 * When a query gets no answer within pg's query_timeout, pg fails the query but keeps the
 * connection, with the unanswered query still ahead of any next one: every later query on it
 * would wait too. Closing the socket instead makes the pool drop the connection when it comes
 * back (it is no longer queryable), so that a stalled network or server costs each request
 * seconds, and the pool recovers as soon as the database answers again.
 */
function giveUpOnStalledConnections(client: pg.PoolClient) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((error: Error) => {
        if (error.message === 'Query read timeout') {
          (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        }
      });
    }
    return result;
  };
}

/** How many distinct statement texts a process prepares; the rest run unnamed. */
const MAX_PREPARED_STATEMENTS = 500;
const preparedNames = new Map<string, string>();
/**
 * Searches stay unnamed: how many rows a search text matches decides between its index and a
 * scan, and after five runs PostgreSQL may keep a generic plan made without the text (measured:
 * 45% more PostgreSQL time per full-text search).
 */
const VALUE_DEPENDENT_PLAN = /websearch_to_tsquery|similarity\(|operator\(public\.%\)/;

/**
 * The name under which a statement is prepared, or undefined to run it unnamed. PostgreSQL then
 * parses and plans a statement once per connection instead of on every request, as
 * PostGraphile does. Only reads with parameters are prepared, and only those that name their
 * columns: a prepared `select *` would fail once a migration adds a column ("cached plan must
 * not change result type"). The texts are bounded: Kysely builds a query's text from its
 * shape, never from its values.
 */
function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name !== undefined) return name;
  if (
    preparedNames.size >= MAX_PREPARED_STATEMENTS ||
    !/^select /.test(text) ||
    text.includes('*') ||
    VALUE_DEPENDENT_PLAN.test(text)
  ) {
    return undefined;
  }
  name = `papergraph_${preparedNames.size}`;
  preparedNames.set(text, name);
  return name;
}

/** Runs the reads of this connection as named prepared statements (see preparedName). */
function prepareReads(client: pg.PoolClient) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    const name =
      typeof text === 'string' && Array.isArray(values) && values.length > 0 ? preparedName(text) : undefined;
    return name ? query({ name, text, values }) : query(...args);
  };
}

/** A Kysely instance on PostgreSQL (a pg Pool) or on the embedded PGlite. */
export async function createDb(options: DbOptions): Promise<Db> {
  const log = options.log;
  if (options.databaseUrl) {
    const timeout = options.statementTimeoutMs ? ` -c statement_timeout=${options.statementTimeoutMs}` : '';
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: pgTypes(),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      ...(options.statementTimeoutMs ? { query_timeout: options.statementTimeoutMs + ANSWER_GRACE_MS } : {}),
      ...options.pool,
      options: `${options.pool?.options ?? ''}${timeout}`.trim() || undefined,
    });
    // A connection that dies (database restart, network) must not crash the process with an
    // unhandled 'error' event: the query on it fails (and says why), the pool drops it, and
    // the next query opens a new one. The pool only listens to idle clients; listen to all.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
      giveUpOnStalledConnections(client);
      prepareReads(client);
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
    pools.set(db, pool);
    return db;
  }
  // Loaded only for the embedded database: a server on PostgreSQL never loads PGlite.
  const { openPGlite } = await import('./embedded.ts');
  const { pglite, lock } = await openPGlite(options.dataDir, options.role);
  if (options.statementTimeoutMs) await pglite.exec(`set statement_timeout = ${Number(options.statementTimeoutMs)}`);
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }), ...(log ? { log } : {}) });
  if (lock) locks.set(db, lock);
  return db;
}

/** Whether the database answers a trivial query within `timeoutMs`. */
export async function databaseAnswers(db: Db, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sql`select 1`.execute(db),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
