// Databases the scripts make for themselves on the PostgreSQL server of ADMIN_DATABASE_URL
// (default postgres://root@127.0.0.1:5432/postgres, the local server as root): the kept ones of
// the benchmark (by name) and throw-away ones, which are dropped at the end, also on failure.
// tests/helpers/server-db.ts does the same for tests on TEST_DATABASE_URL.
import pg from 'pg';

/** The maintenance database the scripts connect to to create and drop theirs. */
export const ADMIN_URL = process.env.ADMIN_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

/** The URL of database `name` on the admin URL's server (same user, host and options). */
export function databaseUrl(name: string, adminUrl: string = ADMIN_URL): string {
  return Object.assign(new URL(adminUrl), { pathname: `/${name}` }).href;
}

/** Runs one statement on the admin database (CREATE/DROP DATABASE cannot run in a transaction). */
export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    return await admin.query(text, values);
  } finally {
    await admin.end();
  }
}

export interface ThrowawayDatabase {
  name: string;
  url: string;
  /** Drops the database, closing whatever connections are left (idempotent). */
  drop(): Promise<void>;
}

/**
 * Creates database `name`, dropping a leftover of that name first (a run that was killed).
 * Names are identifiers: letters, digits and underscores.
 */
export async function createThrowawayDatabase(name: string): Promise<ThrowawayDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  await adminQuery(`drop database if exists ${name} with (force)`);
  await adminQuery(`create database ${name}`);
  let dropped = false;
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      if (dropped) return;
      await adminQuery(`drop database if exists ${name} with (force)`);
      dropped = true;
    },
  };
}

/** Runs `fn` with a fresh database that is dropped afterwards, whether `fn` succeeds or throws. */
export async function withThrowawayDatabase<T>(name: string, fn: (db: ThrowawayDatabase) => Promise<T>): Promise<T> {
  const db = await createThrowawayDatabase(name);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}
