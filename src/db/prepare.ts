import { fileURLToPath } from 'node:url';
import { importFile } from '../import/import-file.ts';
import { seedTaxonomy } from '../topics/taxonomy.ts';
import type { Db } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { hasAnyPaper } from './queries/papers.ts';

export const SAMPLE_FILE = fileURLToPath(new URL('../../data/sample-daily-papers-page.txt', import.meta.url));

export interface PrepareResult {
  migrations: string[];
  samplePapers: number;
}

export interface PrepareOptions {
  sampleData: 'auto' | 'off';
  /** Told each step as it starts (the server logs them). */
  onPhase?: ((phase: string, details?: Record<string, unknown>) => void) | undefined;
}

/**
 * Makes a database ready to serve: migrations, the default taxonomy and, when asked and
 * the database has no papers yet, the bundled sample. Safe to run on every start.
 */
export async function prepareDatabase(db: Db, options: PrepareOptions): Promise<PrepareResult> {
  options.onPhase?.('migrating');
  const migrations = await migrateToLatest(db);
  await seedTaxonomy(db);
  let samplePapers = 0;
  if (options.sampleData === 'auto' && !(await hasAnyPaper(db))) {
    options.onPhase?.('loading the sample papers', { file: SAMPLE_FILE });
    samplePapers = (await importFile(db, SAMPLE_FILE)).created;
  }
  return { migrations, samplePapers };
}
