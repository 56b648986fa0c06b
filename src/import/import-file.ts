// Reads a file of papers (any supported format, plain or gzipped) and writes it through the
// one import path, in batches. What a run did is reported exactly: a failure says what was
// committed before it.
import type { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Db } from '../db/database.ts';
import { isDatabaseUnavailable } from '../db/failures.ts';
import { analyzeImportedTables } from '../db/queries/paper-imports.ts';
import { inWriteTransaction } from '../db/transaction.ts';
import { loadTagger } from '../topics/tag-papers.ts';
import type { Tagger } from '../topics/tagger.ts';
import { parseDailyPage } from './daily-page.ts';
import { isBadRecord, type RawEntry, readJsonArray, readJsonLines, toPaperRecord } from './hf-api.ts';
import { type Committed, ImportError, type ImportFormat } from './import-error.ts';
import { decodeText, formatOf, openBytes, peek, UNKNOWN_FORMAT } from './read-text.ts';
import { type ImportProblem, type ImportSummary, MAX_REPORTED_PROBLEMS, type PaperRecord } from './record.ts';
import { upsertPaperRecords } from './upsert.ts';

/** Records per transaction when importing a stream: big enough for set-based statements to pay off. */
export const BATCH_SIZE = 1000;

/** Page text is read whole; a bigger "page" is not one. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024;

export interface ImportProgress {
  /** Bytes of the file read so far (compressed bytes for a gzipped file) and its size. */
  bytesRead: number;
  totalBytes: number;
  /** Records read and records written (committed, or written in the caller's transaction). */
  records: number;
  written: number;
}

export interface ImportOptions {
  /** Force a format instead of detecting it from the content. */
  format?: ImportFormat | undefined;
  /** The Daily Papers day a page lists (YYYY-MM-DD); the page text itself shows no year. */
  featuredOn?: string | undefined;
  /** Abort at the first bad record, writing nothing (the whole file is then one transaction). */
  strict?: boolean | undefined;
  /** Called as the file is read (at most every 100 records) and after each batch is written. */
  onProgress?: ((progress: ImportProgress) => void) | undefined;
  /** Called after each batch is written, with the ids of the papers it created. */
  onCreated?: ((paperIds: number[]) => void | Promise<void>) | undefined;
  /** Records per transaction (default BATCH_SIZE). */
  batchSize?: number | undefined;
}

/**
 * Imports one file. Into a database outside a transaction, API files are streamed in batches,
 * each committed on its own, so an interrupted import leaves whole batches and can simply be
 * run again; with `strict`, or inside the caller's transaction, the file is one transaction.
 * Bad records are skipped and reported with their line (or array position) and reason.
 * Throws ImportError when the file cannot be imported, holds no valid record, or fails in
 * the database (saying what was committed before).
 */
export async function importFile(db: Db, path: string, options: ImportOptions = {}): Promise<ImportSummary> {
  let totalBytes: number;
  let opened: Awaited<ReturnType<typeof openBytes>>;
  try {
    totalBytes = (await stat(path)).size;
    opened = await openBytes(path);
  } catch (error) {
    throw new ImportError(path, (error as Error).message);
  }
  try {
    const { head, text } = await peek(decodeText(opened.bytes, path));
    if (head.trim() === '') throw new ImportError(path, 'the file is empty');
    const format = options.format ?? formatOf(head);
    if (!format) throw new ImportError(path, UNKNOWN_FORMAT);
    const input: Input = { path, text, raw: opened.raw, totalBytes };
    const summary =
      format === 'daily-page' ? await importPage(db, input, options) : await importStream(db, input, format, options);
    if (summary.created + summary.updated + summary.unchanged === 0) {
      throw new ImportError(path, `no valid record (${summary.skipped} skipped)`, {
        line: summary.problems[0]?.line,
      });
    }
    // Autovacuum would get to it within a minute or so; until then the planner guesses, badly.
    if (summary.created > 0 && !db.isTransaction) await analyzeImportedTables(db);
    return summary;
  } finally {
    opened.raw.destroy();
  }
}

interface Input {
  path: string;
  text: AsyncGenerator<string>;
  raw: ReturnType<typeof createReadStream>;
  totalBytes: number;
}

function newSummary(): ImportSummary {
  return { read: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, problems: [] };
}

function skip(summary: ImportSummary, problem: ImportProblem) {
  summary.skipped++;
  if (summary.problems.length < MAX_REPORTED_PROBLEMS) summary.problems.push(problem);
}

function strictError(problem: ImportProblem): ImportError {
  return new ImportError(problem.source, `${problem.message} (--strict: nothing was imported)`, {
    line: problem.line,
  });
}

/** What a failed write says: an outage plainly, anything else by its message. */
function writeFailure(path: string, error: unknown, committed: Committed, line?: number): ImportError {
  if (error instanceof ImportError) return error;
  const reason = isDatabaseUnavailable(error) ?? `the database refused a batch: ${(error as Error).message}`;
  const saved =
    committed.created + committed.updated + committed.unchanged > 0
      ? `; committed before it: ${committed.records} records (created ${committed.created}, updated ${committed.updated}, unchanged ${committed.unchanged}), run the import again to finish`
      : '; nothing was written';
  return new ImportError(path, `${reason}${saved}`, { line, committed, cause: error });
}

async function importPage(db: Db, input: Input, options: ImportOptions): Promise<ImportSummary> {
  let text = '';
  for await (const chunk of input.text) {
    text += chunk;
    if (text.length > MAX_PAGE_BYTES) throw new ImportError(input.path, `page text over ${MAX_PAGE_BYTES} bytes`);
  }
  const parsed = parseDailyPage(text, input.path);
  const summary = newSummary();
  for (const problem of parsed.problems) {
    if (options.strict) throw strictError(problem);
    skip(summary, problem);
  }
  const records = options.featuredOn
    ? parsed.records.map((r) => ({ ...r, featuredOn: options.featuredOn ?? null }))
    : parsed.records;
  summary.read = records.length + parsed.problems.length;
  if (records.length === 0) return summary;
  let result: Awaited<ReturnType<typeof upsertPaperRecords>>;
  try {
    result = await inWriteTransaction(db, async (trx) => upsertPaperRecords(trx, records, await loadTagger(trx)));
  } catch (error) {
    throw writeFailure(input.path, error, { created: 0, updated: 0, unchanged: 0, records: 0 });
  }
  Object.assign(summary, {
    created: result.counts.created,
    updated: result.counts.updated,
    unchanged: result.counts.unchanged,
  });
  await options.onCreated?.(result.createdIds);
  options.onProgress?.({
    bytesRead: input.totalBytes,
    totalBytes: input.totalBytes,
    records: summary.read,
    written: records.length,
  });
  return summary;
}

async function importStream(db: Db, input: Input, format: 'hf-jsonl' | 'hf-json', options: ImportOptions) {
  const stream = Readable.from(input.text);
  const entries: AsyncGenerator<RawEntry> = format === 'hf-jsonl' ? readJsonLines(stream) : readJsonArray(stream);
  const summary = newSummary();
  const committed: Committed = { created: 0, updated: 0, unchanged: 0, records: 0 };
  const size = options.batchSize ?? BATCH_SIZE;
  // Strict: the whole file in one transaction, which the first bad record aborts. Inside the
  // caller's transaction, batches commit (or not) with it.
  const oneTransaction = options.strict === true && !db.isTransaction;
  const batchesCommit = !oneTransaction && !db.isTransaction;
  let tagger: Tagger | undefined;
  let batch: PaperRecord[] = [];
  // One batch is written while the next is read and parsed: JSON parsing in Node and the
  // writes in PostgreSQL overlap. Only one write is in flight, so batches commit in order.
  let inFlight: Promise<void> = Promise.resolve();
  let failure: { error: unknown; line: number | undefined } | undefined;
  let written = 0;
  const progress = () =>
    options.onProgress?.({
      bytesRead: input.raw.bytesRead,
      totalBytes: input.totalBytes,
      records: summary.read,
      written,
    });
  const write = async (target: Db, records: PaperRecord[], readSoFar: number) => {
    const result = await inWriteTransaction(target, async (trx) => {
      tagger ??= await loadTagger(trx);
      return upsertPaperRecords(trx, records, tagger);
    });
    committed.created += result.counts.created;
    committed.updated += result.counts.updated;
    committed.unchanged += result.counts.unchanged;
    committed.records = readSoFar;
    written += records.length;
    await options.onCreated?.(result.createdIds);
    progress();
  };
  const run = async (target: Db) => {
    const flush = async () => {
      await inFlight;
      if (failure) throw failure.error;
      if (batch.length === 0) return;
      const records = batch;
      batch = [];
      const readSoFar = summary.read;
      inFlight = write(target, records, readSoFar).catch((error: unknown) => {
        failure = { error, line: records[0]?.line };
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
      if (summary.read % 100 === 0) progress();
      if (!record) {
        const problem = { source: input.path, line: entry.line, message: reason ?? 'unreadable' };
        if (options.strict) throw strictError(problem);
        skip(summary, problem);
        continue;
      }
      batch.push(record);
      if (batch.length >= size) await flush();
    }
    await flush();
    await inFlight;
    if (failure) throw failure.error;
  };
  try {
    // The stream cannot be read twice: a failed strict import is not run again.
    await (oneTransaction ? inWriteTransaction(db, run, { attempts: 1 }) : run(db));
  } catch (error) {
    if (error instanceof ImportError) throw error;
    const saved = batchesCommit ? committed : { created: 0, updated: 0, unchanged: 0, records: 0 };
    throw writeFailure(input.path, error, saved, failure?.line);
  }
  return { ...summary, created: committed.created, updated: committed.updated, unchanged: committed.unchanged };
}

export { IMPORT_FORMATS, ImportError, type ImportFormat } from './import-error.ts';
export { detectFormat } from './read-text.ts';
