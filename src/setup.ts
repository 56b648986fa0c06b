import { fileURLToPath } from 'node:url';
import type { Db } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { hasAnyPaper } from './db/queries/papers.ts';
import { importFile } from './import/import-file.ts';
import { seedTaxonomy } from './topics/taxonomy.ts';

export const SAMPLE_FILE = fileURLToPath(new URL('../data/sample-daily-papers-page.txt', import.meta.url));

export interface PrepareResult {
  migrations: string[];
  topicsAdded: number;
  samplePapers: number;
}

/**
 * Makes a database ready to serve: migrations, the default taxonomy and, when asked and
 * the database has no papers yet, the bundled sample. Safe to run on every start.
 */
export async function prepareDatabase(db: Db, options: { sampleData: 'auto' | 'off' }): Promise<PrepareResult> {
  const migrations = await migrateToLatest(db);
  const topicsAdded = (await seedTaxonomy(db)).length;
  let samplePapers = 0;
  if (options.sampleData === 'auto') {
    if (!(await hasAnyPaper(db))) samplePapers = (await importFile(db, SAMPLE_FILE)).created;
  }
  return { migrations, topicsAdded, samplePapers };
}
