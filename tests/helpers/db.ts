import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { type CompiledQuery, Kysely, type LogEvent, sql } from 'kysely';
import { inject } from 'vitest';
import { createDb, type Db } from '../../src/db/database.ts';
import { pgliteOptions } from '../../src/db/embedded.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { PGliteDialect } from '../../src/db/pglite-dialect.ts';
import type { DB } from '../../src/db/types.ts';
import { seedTaxonomy } from '../../src/topics/taxonomy.ts';

export interface TestDb {
  db: Db;
  engine: 'postgres' | 'pglite';
  /** Statements executed since the last reset (counted through Kysely's log hook). */
  statements: { count: number; sql: string[]; queries: CompiledQuery[]; reset(): void };
  destroy(): Promise<void>;
}

/**
 * A fresh, migrated database with the default taxonomy, private to the caller: its own
 * schema on the PostgreSQL of TEST_DATABASE_URL, or its own in-memory PGlite.
 */
export async function createTestDb(): Promise<TestDb> {
  const statements = {
    count: 0,
    sql: [] as string[],
    queries: [] as CompiledQuery[],
    reset() {
      this.count = 0;
      this.sql = [];
      this.queries = [];
    },
  };
  const log = (event: LogEvent) => {
    if (event.level === 'query' || event.level === 'error') {
      statements.count++;
      statements.sql.push(event.query.sql);
      statements.queries.push(event.query);
    }
  };
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const schema = `test_${randomBytes(6).toString('hex')}`;
    const admin = await createDb({ databaseUrl: url });
    await sql`create schema ${sql.id(schema)}`.execute(admin);
    const db = await createDb({ databaseUrl: url, pool: { max: 4, options: `-c search_path=${schema},public` }, log });
    await migrateToLatest(db, { schema });
    await seedTaxonomy(db);
    statements.reset();
    return {
      db,
      engine: 'postgres',
      statements,
      async destroy() {
        await db.destroy();
        await sql`drop schema ${sql.id(schema)} cascade`.execute(admin);
        await admin.destroy();
      },
    };
  }
  const dump = readFileSync(inject('pgliteSnapshot'));
  const pglite = new PGlite({ ...pgliteOptions(), loadDataDir: new Blob([dump]) });
  await pglite.waitReady;
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }), log });
  return { db, engine: 'pglite', statements, destroy: () => db.destroy() };
}

/**
 * A data folder for the embedded database, already migrated and seeded (from the run's
 * snapshot): commands and servers started on it skip PGlite's first-time setup (initdb,
 * seconds of CPU) and the migrations.
 */
export async function preparedDataDir(folder: string): Promise<string> {
  const pglite = new PGlite({
    ...pgliteOptions(),
    dataDir: folder,
    loadDataDir: new Blob([readFileSync(inject('pgliteSnapshot'))]),
  });
  await pglite.waitReady;
  await pglite.close();
  return folder;
}
