import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { FileMigrationProvider, type MigrationResultSet, Migrator } from 'kysely/migration';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface MigrateOptions {
  /**
   * The schema of Kysely's bookkeeping tables. Needed when the tables live in a schema other
   * than the first of the search_path's defaults (tests use one schema each): the migrator
   * looks its tables up by name across schemas and would find another schema's.
   */
  schema?: string;
}

function migrator<T>(db: Kysely<T>, options: MigrateOptions): Migrator {
  return new Migrator({
    db: db as unknown as Kysely<unknown>,
    ...(options.schema ? { migrationTableSchema: options.schema } : {}),
    provider: new FileMigrationProvider({
      fs,
      path,
      migrationFolder: MIGRATIONS_DIR,
      // Without this hook, .ts migrations fail to load under vitest on Node 20.
      import: (p: string) => import(pathToFileURL(p).href),
    }),
  });
}

/** Brings the schema up to date; Kysely's lock makes concurrent callers safe. Returns the names applied. */
export async function migrateToLatest<T>(db: Kysely<T>, options: MigrateOptions = {}): Promise<string[]> {
  return unwrap(await migrator(db, options).migrateToLatest());
}

/** Undoes the newest migration; returns its name (empty when nothing was applied). */
export async function migrateDown<T>(db: Kysely<T>, options: MigrateOptions = {}): Promise<string[]> {
  return unwrap(await migrator(db, options).migrateDown());
}

function unwrap({ error, results }: MigrationResultSet): string[] {
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
