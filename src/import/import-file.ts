import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { type Db, inTransaction } from '../db/database.ts';
import { analyzeImportedTables } from '../db/queries/papers.ts';
import type { Tagger } from '../topics/tagger.ts';
import { loadTagger } from '../topics/tagging.ts';
import { looksLikeDailyPage, parseDailyPage } from './daily-page.ts';
import { isBadRecord, type RawEntry, readJsonArray, readJsonLines, toPaperRecord } from './hf-api.ts';
import type { ImportProblem, ImportSummary, PaperRecord } from './record.ts';
import { upsertPaperRecords } from './upsert.ts';

export const IMPORT_FORMATS = ['daily-page', 'hf-jsonl', 'hf-json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Records per transaction when importing a stream: big enough for set-based statements to pay off. */
export const BATCH_SIZE = 1000;

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  records: number;
}

export interface ImportOptions {
  /** Force a format instead of detecting it from the content. */
  format?: ImportFormat | undefined;
  /** The Daily Papers day a page lists (YYYY-MM-DD); the page text itself shows no year. */
  featuredOn?: string | undefined;
  /** Abort at the first bad record, writing nothing (the whole file is then one transaction). */
  strict?: boolean | undefined;
  /** Called after each batch is written. */
  onProgress?: ((progress: ImportProgress) => void) | undefined;
  /** Records per transaction (default BATCH_SIZE). */
  batchSize?: number | undefined;
}

/** The import could not run, or (with --strict) met a bad record: nothing of it was written. */
export class ImportError extends Error {
  override name = 'ImportError';
}

/** The format of a file, from its first non-blank character: `{` JSONL, `[` a JSON array, else page text. */
export async function detectFormat(path: string): Promise<ImportFormat> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    if (looksLikeDailyPage(head)) return 'daily-page';
    return head.trimStart().startsWith('[') ? 'hf-json' : 'hf-jsonl';
  } finally {
    await handle.close();
  }
}

/**
 * Imports one file. Page text is one transaction. API files are streamed in batches, each
 * batch a transaction, so an interrupted import leaves whole batches and can simply be run
 * again; with `strict`, the whole file is one transaction that the first bad record aborts.
 * Bad records are skipped and reported with their line (or array position) and reason.
 */
export async function importFile(db: Db, path: string, options: ImportOptions = {}): Promise<ImportSummary> {
  let format: ImportFormat;
  try {
    format = options.format ?? (await detectFormat(path));
  } catch (error) {
    throw new ImportError(`${path}: ${(error as Error).message}`);
  }
  if (format === 'daily-page') return importPage(db, path, options);
  const run = (trx: Db) => importStream(trx, path, format, options);
  const summary = await (options.strict ? inTransaction(db, run) : run(db));
  // Autovacuum would get to it within a minute or so; until then the planner guesses, badly.
  if (summary.created > 0 && !db.isTransaction) await analyzeImportedTables(db);
  return summary;
}

async function importPage(db: Db, path: string, options: ImportOptions): Promise<ImportSummary> {
  // Page text is a few hundred kilobytes at most: read whole.
  const parsed = parseDailyPage(await readFile(path, 'utf8'), path);
  if (options.strict && parsed.problems[0]) throw strictError(parsed.problems[0]);
  const records = options.featuredOn
    ? parsed.records.map((r) => ({ ...r, featuredOn: options.featuredOn ?? null }))
    : parsed.records;
  const counts = await inTransaction(db, async (trx) => upsertPaperRecords(trx, records, await loadTagger(trx)));
  const total = (await stat(path)).size;
  options.onProgress?.({ bytesRead: total, totalBytes: total, records: records.length });
  return {
    read: records.length + parsed.problems.length,
    ...counts,
    skipped: parsed.problems.length,
    problems: parsed.problems,
  };
}

function strictError(problem: ImportProblem): ImportError {
  return new ImportError(`${problem.source}:${problem.line}: ${problem.message} (--strict: nothing was imported)`);
}

async function importStream(db: Db, path: string, format: 'hf-jsonl' | 'hf-json', options: ImportOptions) {
  const totalBytes = (await stat(path)).size;
  const stream = createReadStream(path);
  const entries: AsyncGenerator<RawEntry> = format === 'hf-jsonl' ? readJsonLines(stream) : readJsonArray(stream);
  const summary: ImportSummary = { read: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, problems: [] };
  const size = options.batchSize ?? BATCH_SIZE;
  let tagger: Tagger | undefined;
  let batch: PaperRecord[] = [];
  // One batch is written while the next is read and parsed: JSON parsing in Node and the
  // writes in PostgreSQL overlap. Only one write is in flight, so batches commit in order.
  let inFlight: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  const write = async (records: PaperRecord[]) => {
    const counts = await inTransaction(db, async (trx) => {
      tagger ??= await loadTagger(trx);
      return upsertPaperRecords(trx, records, tagger);
    });
    summary.created += counts.created;
    summary.updated += counts.updated;
    summary.unchanged += counts.unchanged;
    options.onProgress?.({ bytesRead: stream.bytesRead, totalBytes, records: summary.read });
  };
  const flush = async () => {
    await inFlight;
    if (failure) throw failure.error;
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    inFlight = write(records).catch((error: unknown) => {
      failure = { error };
    });
  };
  for await (const entry of entries) {
    summary.read++;
    let record: PaperRecord | undefined;
    let reason = entry.error;
    if (!reason) {
      try {
        record = toPaperRecord(entry.value, entry.line);
      } catch (error) {
        if (!isBadRecord(error)) throw error;
        reason = error.message;
      }
    }
    if (!record) {
      const problem = { source: path, line: entry.line, message: reason ?? 'unreadable' };
      if (options.strict) throw strictError(problem);
      summary.skipped++;
      summary.problems.push(problem);
      continue;
    }
    batch.push(record);
    if (batch.length >= size) await flush();
  }
  await flush();
  await inFlight;
  if (failure) throw failure.error;
  return summary;
}
