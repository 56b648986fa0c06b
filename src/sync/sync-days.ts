// A sync run: take the lock, plan the days (a range, or a catch-up from the state), then each
// day in order, fetched whole and merged in its own transaction. After each day's commit its
// new papers and upvote changes reach subscribers. A failure is recorded with its day (and
// page); a bad page skips its day or stops the run (SYNC_ON_BAD_DATA), anything else stops it.
import os from 'node:os';
import type { Db } from '../db/database.ts';
import { isDatabaseUnavailable } from '../db/failures.ts';
import { addRunProgress, finishRun, insertRun, type SyncRunStatus, saveDayFailure } from '../db/queries/sync-state.ts';
import { type PapersPubSub, publishPapersAdded } from '../pubsub.ts';
import { utcToday } from './calendar.ts';
import { planRun, type SyncRange } from './plan.ts';
import { type DayResult, PageFailure, syncDay } from './sync-day.ts';
import { withSyncLock } from './sync-lock.ts';
import type { SyncLog } from './sync-log.ts';
import { SyncStopped, type Upstream, UpstreamError } from './upstream.ts';

/** The largest page the API serves, and so the fewest requests. */
export const PAGE_SIZE = 100;

export type BadDataPolicy = 'skip-day' | 'stop';

export interface SyncOptions {
  upstream: Upstream;
  /** The days to sync; absent: catch up from the state. */
  range?: SyncRange | undefined;
  /** Days before today a catch-up fetches again (SYNC_REFETCH_DAYS). */
  refetchDays: number;
  onBadData: BadDataPolicy;
  /** Where events go after each day's commit; none: no events (the command). */
  pubsub?: PapersPubSub | undefined;
  log: SyncLog;
  /** Stops the run after the day in hand (a day being fetched is abandoned, one being written finishes). */
  signal?: AbortSignal | undefined;
  /** When another sync runs: wait for it (the command), or skip this run (the schedule). */
  wait: boolean;
  /** Entries per page (PAGE_SIZE); tests use fewer to see paging. */
  pageSize?: number | undefined;
  /** Today, for catch-ups (tests); the UTC date otherwise. */
  today?: string | undefined;
}

/** bad-data: a page that cannot be trusted; unavailable / refused: the upstream; write: the database. */
export type FailureKind = 'bad-data' | 'unavailable' | 'refused' | 'write' | 'database-unavailable';

export interface DayFailure {
  day: string;
  kind: FailureKind;
  message: string;
}

export interface SyncSummary {
  /** busy: another sync held the lock and this one did not wait. */
  outcome: 'completed' | 'failed' | 'interrupted' | 'busy';
  runId: number | undefined;
  daysPlanned: number;
  daysDone: number;
  papersAdded: number;
  papersUpdated: number;
  recordsSkipped: number;
  requests: number;
  failures: DayFailure[];
  /** The failure that ended the run early, if one did. */
  stoppedBy: DayFailure | undefined;
}

function failureOf(day: string, error: unknown): DayFailure {
  if (error instanceof PageFailure)
    return { day, kind: 'bad-data', message: `${day} page ${error.page}: ${error.message}` };
  if (error instanceof UpstreamError) {
    const what = error.kind === 'refused' ? 'the upstream refused the request' : 'the upstream is unavailable';
    return { day, kind: error.kind, message: `${day}: ${what}: ${error.message}` };
  }
  const unavailable = isDatabaseUnavailable(error);
  if (unavailable) return { day, kind: 'database-unavailable', message: `${day}: ${unavailable}` };
  return { day, kind: 'write', message: `${day}: the database refused the day: ${(error as Error).message}` };
}

const reasonOf = (signal: AbortSignal) =>
  signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'stopped');

function describeDay(r: DayResult): string {
  const pages = `${r.pages} page${r.pages === 1 ? '' : 's'}`;
  if (r.unchangedPages === r.pages) return `${r.day}: unchanged (${pages}, 304 Not Modified)`;
  return `${r.day}: ${pages}, ${r.entries} entries: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.skipped} skipped`;
}

/** Runs a sync (see the file's header); never throws for a failed day, only for a bug or a stop while waiting. */
export async function syncDays(db: Db, options: SyncOptions): Promise<SyncSummary> {
  const locked = await withSyncLock(
    db,
    {
      wait: options.wait,
      signal: options.signal,
      onBusy: (holder) =>
        options.log.info(
          { holder },
          `another sync is running (${holder}): ${options.wait ? 'waiting for it to finish' : 'skipping this run'}`,
        ),
    },
    (lost) => run(db, options, lost),
  );
  return locked.ran ? locked.value : emptySummary('busy', undefined, 0);
}

/** A summary before anything was done. */
function emptySummary(outcome: SyncSummary['outcome'], runId: SyncSummary['runId'], daysPlanned: number): SyncSummary {
  return {
    outcome,
    runId,
    daysPlanned,
    daysDone: 0,
    papersAdded: 0,
    papersUpdated: 0,
    recordsSkipped: 0,
    requests: 0,
    failures: [],
    stoppedBy: undefined,
  };
}

async function run(db: Db, options: SyncOptions, lost: AbortSignal): Promise<SyncSummary> {
  const { log, upstream } = options;
  const signal = options.signal ? AbortSignal.any([options.signal, lost]) : lost;
  const plan = await planRun(db, {
    range: options.range,
    today: options.today ?? utcToday(),
    refetchDays: options.refetchDays,
  });
  const row = await insertRun(db, {
    firstDay: plan.first,
    lastDay: plan.last,
    catchUp: plan.catchUp,
    resumesFrom: plan.resumed?.run.resumes_from ?? null,
    daysPlanned: plan.days.length,
    pid: process.pid,
    host: os.hostname(),
  });
  const resumed = plan.resumed
    ? `, resuming run ${plan.resumed.run.id} (${plan.resumed.skipped} days already merged)`
    : '';
  log.info(
    { runId: row.id, first: plan.first, last: plan.last, days: plan.days.length, catchUp: plan.catchUp },
    `sync run ${row.id}: ${plan.days.length} days from ${plan.days[0] ?? plan.first} to ${plan.last}${plan.catchUp ? ' (catch-up)' : ''}${resumed}`,
  );
  const summary = emptySummary('completed', row.id, plan.days.length);
  const requestsBefore = upstream.requests;
  let counted = 0;
  let interrupted = false;
  const ctx = { db, upstream, pageSize: options.pageSize ?? PAGE_SIZE, runId: row.id, signal, tagger: {} };
  for (const day of plan.days) {
    if (signal.aborted) {
      interrupted = true;
      break;
    }
    let result: DayResult;
    try {
      result = await syncDay(ctx, day);
    } catch (error) {
      if (error instanceof SyncStopped) {
        interrupted = true;
        break;
      }
      const failure = failureOf(day, error);
      summary.failures.push(failure);
      try {
        await saveDayFailure(db, day, failure.message);
        await addRunProgress(db, row.id, { daysFailed: 1 });
      } catch (writeError) {
        log.warn({ day, err: (writeError as Error).message }, `${day}: could not record the failure`);
      }
      if (failure.kind === 'bad-data' && options.onBadData === 'skip-day') {
        log.warn(
          { day, kind: failure.kind, error: failure.message },
          `${failure.message}; day skipped (SYNC_ON_BAD_DATA=skip-day): the next sync fetches it again`,
        );
        continue;
      }
      summary.stoppedBy = failure;
      log.warn({ day, kind: failure.kind, error: failure.message }, `${failure.message}; sync stopped`);
      break;
    }
    counted += result.requests;
    summary.daysDone++;
    summary.papersAdded += result.created;
    summary.papersUpdated += result.updated;
    summary.recordsSkipped += result.skipped;
    for (const p of result.problems) {
      log.warn(
        { day, page: p.page, position: p.position },
        `${day} page ${p.page} #${p.position}: skipped: ${p.message}`,
      );
    }
    log.info(
      { ...result, problems: undefined, createdIds: undefined, upvoted: result.upvoted.length },
      describeDay(result),
    );
    if (options.pubsub) await publish(db, options.pubsub, result, log);
  }
  summary.requests = upstream.requests - requestsBefore;
  const status: Exclude<SyncRunStatus, 'running'> = interrupted
    ? 'interrupted'
    : summary.failures.length > 0
      ? 'failed'
      : 'completed';
  summary.outcome = status;
  const error = runError(status, summary, signal);
  try {
    await addRunProgress(db, row.id, { requests: summary.requests - counted });
    await finishRun(db, row.id, status, error);
  } catch (writeError) {
    log.warn({ runId: row.id, err: (writeError as Error).message }, `could not record the end of sync run ${row.id}`);
  }
  log.info(
    { ...summary, failures: summary.failures.length, stoppedBy: undefined },
    `sync run ${row.id} ${summary.outcome}: ${summary.daysDone} of ${summary.daysPlanned} days merged, ${summary.papersAdded} papers added, ${summary.papersUpdated} updated, ${summary.recordsSkipped} records skipped, ${summary.requests} requests`,
  );
  return summary;
}

/** What the run's record says went wrong: null when it completed. */
function runError(status: SyncRunStatus, summary: SyncSummary, signal: AbortSignal): string | null {
  if (status === 'interrupted') {
    return `interrupted (${signal.aborted ? reasonOf(signal) : 'stopped'}) after ${summary.daysDone} of ${summary.daysPlanned} days`;
  }
  const { failures, stoppedBy } = summary;
  if (failures.length === 0) return null;
  const listed = failures
    .slice(0, 5)
    .map((f) => f.message)
    .join('; ');
  const more = failures.length > 5 ? '; …' : '';
  const stopped = stoppedBy ? ' (the sync stopped there)' : '';
  return `${failures.length} day${failures.length === 1 ? '' : 's'} failed: ${listed}${more}${stopped}`;
}

/** Tells subscribers about the day's new papers and changed upvotes (after its commit). */
async function publish(db: Db, pubsub: PapersPubSub, result: DayResult, log: SyncLog): Promise<void> {
  try {
    await publishPapersAdded(db, pubsub, result.createdIds);
    for (const paperId of result.upvoted) pubsub.publish('paper:upvoted', paperId, { paperId });
  } catch (error) {
    log.warn({ day: result.day, err: (error as Error).message }, `${result.day}: could not publish its events`);
  }
}
