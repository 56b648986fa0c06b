import { open, readFile } from 'node:fs/promises';
import { type Db, inTransaction } from '../db/database.ts';
import { loadTagger } from '../topics/tagging.ts';
import { looksLikeDailyPage, parseDailyPage } from './daily-page.ts';
import type { ImportSummary } from './record.ts';
import { upsertPaperRecords } from './upsert.ts';

export type ImportFormat = 'daily-page';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['daily-page'];

export interface ImportOptions {
  /** Force a format instead of detecting it from the content. */
  format?: ImportFormat | undefined;
  /** The Daily Papers day the page lists (YYYY-MM-DD); the page text itself shows no year. */
  featuredOn?: string | undefined;
}

export class ImportError extends Error {
  override name = 'ImportError';
}

async function detectFormat(path: string): Promise<ImportFormat> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    if (looksLikeDailyPage(head)) return 'daily-page';
    throw new ImportError(
      `${path}: JSON input is not supported yet; the known formats are ${IMPORT_FORMATS.join(', ')}`,
    );
  } finally {
    await handle.close();
  }
}

/**
 * Imports one file in one transaction: either every good record lands or nothing does.
 * Malformed parts are skipped and reported in the summary with their line numbers.
 */
export async function importFile(db: Db, path: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const format = options.format ?? (await detectFormat(path));
  // Page text is a few hundred kilobytes at most: read whole. Streaming formats stream.
  const parsed = format === 'daily-page' ? parseDailyPage(await readFile(path, 'utf8'), path) : unreachable(format);
  const records = options.featuredOn
    ? parsed.records.map((r) => ({ ...r, featuredOn: options.featuredOn ?? null }))
    : parsed.records;
  const counts = await inTransaction(db, async (trx) => upsertPaperRecords(trx, records, await loadTagger(trx)));
  return {
    read: records.length + parsed.problems.length,
    ...counts,
    skipped: parsed.problems.length,
    problems: parsed.problems,
  };
}

function unreachable(format: never): never {
  throw new ImportError(`unknown format ${String(format)}`);
}
