import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';

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
    provider: folderProvider(MIGRATIONS_DIR),
  });
}

/**
 * The migrations of a folder: its .ts files, or the .js files of a build. Imported from here
 * rather than from inside Kysely's FileMigrationProvider, where .ts migrations fail to load
 * under vitest on Node 20 (and which Kysely 0.28 cannot be given an import function for).
 */
function folderProvider(folder: string): MigrationProvider {
  return {
    async getMigrations() {
      const migrations: Record<string, Migration> = {};
      for (const file of (await fs.readdir(folder)).sort()) {
        if (!/\.(ts|js)$/.test(file) || file.endsWith('.d.ts')) continue;
        migrations[file.replace(/\.(ts|js)$/, '')] = (await import(
          pathToFileURL(path.join(folder, file)).href
        )) as Migration;
      }
      return migrations;
    },
  };
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
