import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely } from 'kysely';
import type { TestProject } from 'vitest/node';
import { openPGlite } from '../../src/db/embedded.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { PGliteDialect } from '../../src/db/pglite-dialect.ts';
import type { DB } from '../../src/db/types.ts';
import { seedTaxonomy } from '../../src/topics/taxonomy.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A dump of a migrated, seeded PGlite database: each test file starts from a copy. */
    pgliteSnapshot: string;
  }
}

// Starting PGlite and running the migrations costs seconds; do it once per run and let
// each test file load the dump into its own in-memory instance. Made on PostgreSQL runs too:
// the CLI and embedded-server tests always start from a prepared embedded data folder.
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'papergraph-test-'));
  const file = path.join(dir, 'migrated.tar.gz');
  const { pglite } = await openPGlite();
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  await migrateToLatest(db);
  await seedTaxonomy(db);
  const dump = await pglite.dumpDataDir('gzip');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await db.destroy();
  project.provide('pgliteSnapshot', file);
  return () => rmSync(dir, { recursive: true, force: true });
}
