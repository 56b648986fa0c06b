// How a database failure reads to a client: an outage (nothing to do but retry shortly) is not
// the same as a bug. Both drivers and every layer between (pg, its pool, Kysely) wrap or
// rephrase the cause, so the whole chain of causes is searched.

/** SQLSTATEs and socket errors that mean the database is down, restarting or unreachable. */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000', // connection_exception
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** Messages of pg and its pool for a connection that failed, was lost, or could not be had in time. */
const OUTAGE_MESSAGES =
  /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed|not queryable|Query read timeout|database is unavailable/i;

/** A catalogue write that waited too long for its turn (db/transaction.ts): it wrote nothing. */
export class WriteQueueFullError extends Error {
  constructor() {
    super('Too many writes are waiting; nothing was written. Try again shortly.');
    this.name = 'WriteQueueFullError';
  }
}

/** statement_timeout or lock_timeout cancelled the statement. */
const TIMEOUT_CODES = new Set(['57014', '55P03']);

/**
 * A message for clients when the error (or one of its causes) is the database being
 * unreachable or too slow; undefined for any other error.
 */
export function isDatabaseUnavailable(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    if (e instanceof WriteQueueFullError) return e.message;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && OUTAGE_CODES.has(code)) return 'The database is unavailable; try again shortly.';
    if (typeof message === 'string' && OUTAGE_MESSAGES.test(message)) {
      return 'The database is unavailable; try again shortly.';
    }
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
      return 'The database did not answer in time; try again shortly.';
    }
    e = (e as { originalError?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * One line for an operator when the database cannot be used at all (at start-up), or undefined
 * when the error is something else. Names the host and database, never the password.
 */
export function describeConnectionFailure(error: unknown, databaseUrl: string | undefined): string | undefined {
  const url = databaseUrl && URL.canParse(databaseUrl) ? new URL(databaseUrl) : undefined;
  const where = url ? `${url.hostname}:${url.port || '5432'}` : 'the database';
  const name = url ? decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) : '';
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : '';
    if (code === '3D000')
      return `the database "${name}" does not exist on ${where}: create it (createdb ${name}), or fix DATABASE_URL`;
    if (code === '28P01' || code === '28000')
      return `PostgreSQL at ${where} refused the login: check the user and password in DATABASE_URL`;
    if (code === 'ECONNREFUSED') return `cannot reach PostgreSQL at ${where} (connection refused): is it running?`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return `cannot resolve the host of DATABASE_URL (${url?.hostname ?? '?'})`;
    if (
      code === 'ETIMEDOUT' ||
      /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(text)
    ) {
      return `PostgreSQL at ${where} did not answer in time`;
    }
    if (code === '57P03') return `PostgreSQL at ${where} is starting up or shutting down: try again shortly`;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
