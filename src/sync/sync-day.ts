// One featured day: fetch all its pages, then merge them in one catalogue write with the day's
// state (validators, counts), so that a day is merged whole or not at all. Nothing is written
// before the last page has arrived and passed its checks.
import type { Db } from '../db/database.ts';
import { addRunProgress, findDayPages, type SyncPageRow, saveMergedDay } from '../db/queries/sync-state.ts';
import { inWriteTransaction } from '../db/transaction.ts';
import { isBadRecord, toPaperRecord } from '../import/hf-api.ts';
import { importEvents } from '../import/import-events.ts';
import type { PaperRecord } from '../import/record.ts';
import { type UpsertResult, upsertPaperRecords } from '../import/upsert.ts';
import { loadTagger } from '../topics/tag-papers.ts';
import type { Tagger } from '../topics/tagger.ts';
import { BadPage, parsePage } from './page.ts';
import type { Upstream } from './upstream.ts';

/** A day with more pages than this is an upstream that ignores `p` (the same page forever), not a day. */
export const MAX_PAGES = 100;

export interface DayContext {
  db: Db;
  upstream: Upstream;
  /** Entries asked per page (`limit`, 1 to 100). */
  pageSize: number;
  runId: number;
  signal: AbortSignal;
  /** The run's tagger, loaded with its first write. */
  tagger: { current?: Tagger };
}

/** A record skipped for a bad value: where it was and why. */
export interface RecordProblem {
  page: number;
  /** 1-based position in the page. */
  position: number;
  message: string;
}

export interface DayResult {
  day: string;
  pages: number;
  /** Pages answered 304 Not Modified. */
  unchangedPages: number;
  /** Entries on the day's pages, skipped ones included. */
  entries: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  problems: RecordProblem[];
  createdIds: number[];
  upvoted: number[];
  /** HTTP requests the day took (retries included). */
  requests: number;
}

/** The page at fault, when one is. */
export class PageFailure extends Error {
  override name = 'PageFailure';
  readonly page: number;
  constructor(page: number, message: string) {
    super(message);
    this.page = page;
  }
}

interface FetchedPage extends SyncPageRow {
  /** The entries; undefined when the page is unchanged since it was last merged. */
  values: unknown[] | undefined;
}

async function fetchPages(ctx: DayContext, day: string): Promise<FetchedPage[]> {
  const stored = new Map((await findDayPages(ctx.db, day)).map((p) => [p.page, p]));
  const pages: FetchedPage[] = [];
  for (let page = 0; ; page++) {
    if (page >= MAX_PAGES)
      throw new PageFailure(page, `more than ${MAX_PAGES} full pages: the upstream ignores \`p\`?`);
    const known = stored.get(page);
    const response = await ctx.upstream.fetchPage(
      { day, page, limit: ctx.pageSize, etag: known?.etag, lastModified: known?.last_modified },
      ctx.signal,
    );
    let current: FetchedPage;
    if (response.status === 'not-modified' && known) {
      current = { ...known, values: undefined };
    } else if (response.status === 'modified') {
      let values: unknown[];
      try {
        values = parsePage(response.body);
      } catch (error) {
        if (error instanceof BadPage) throw new PageFailure(page, error.message);
        throw error;
      }
      current = { page, etag: response.etag, last_modified: response.lastModified, entries: values.length, values };
    } else {
      throw new PageFailure(page, '304 Not Modified for a page never merged');
    }
    pages.push(current);
    if (current.entries < ctx.pageSize) return pages;
  }
}

const NOTHING: UpsertResult = {
  counts: { created: 0, updated: 0, unchanged: 0 },
  ids: [],
  createdIds: [],
  upvoted: [],
};

/**
 * Fetches and merges one day. Throws PageFailure for a page that cannot be trusted (nothing of
 * the day is written), UpstreamError when the upstream cannot be asked, SyncStopped when told
 * to stop before the write began; a failed write rolls the whole day back.
 */
export async function syncDay(ctx: DayContext, day: string): Promise<DayResult> {
  const requestsBefore = ctx.upstream.requests;
  const pages = await fetchPages(ctx, day);
  const records: PaperRecord[] = [];
  const problems: RecordProblem[] = [];
  for (const page of pages) {
    page.values?.forEach((value, i) => {
      const position = page.page * ctx.pageSize + i + 1;
      try {
        // The day it was listed on is the day it was featured, whatever the record says.
        records.push(toPaperRecord({ ...(value as object), _file_date: day }, position));
      } catch (error) {
        if (!isBadRecord(error)) throw error;
        problems.push({ page: page.page, position: i + 1, message: error.message });
      }
    });
  }
  const entries = pages.reduce((n, p) => n + p.entries, 0);
  const requests = ctx.upstream.requests - requestsBefore;
  const result = await inWriteTransaction(ctx.db, async (trx) => {
    let merged = NOTHING;
    if (records.length > 0) {
      ctx.tagger.current ??= await loadTagger(trx);
      merged = await upsertPaperRecords(trx, records, ctx.tagger.current);
    }
    await saveMergedDay(trx, {
      day,
      runId: ctx.runId,
      pages: pages.map(({ values: _, ...row }) => row),
      records: entries,
      created: merged.counts.created,
      updated: merged.counts.updated,
      skipped: problems.length,
    });
    await addRunProgress(trx, ctx.runId, {
      daysDone: 1,
      papersAdded: merged.counts.created,
      papersUpdated: merged.counts.updated,
      recordsSkipped: problems.length,
      requests,
    });
    return merged;
  });
  const { created, updated, unchanged } = result.counts;
  importEvents.emit('imported', { created, updated, unchanged, skipped: problems.length });
  return {
    day,
    pages: pages.length,
    unchangedPages: pages.filter((p) => !p.values).length,
    entries,
    ...result.counts,
    skipped: problems.length,
    problems,
    createdIds: result.createdIds,
    upvoted: result.upvoted,
    requests,
  };
}
