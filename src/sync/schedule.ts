// The sync inside `papergraph serve` (SYNC_INTERVAL): a run at start-up (so that a restarted
// server resumes at once), then one each interval after the previous run ended. With several
// server processes on one PostgreSQL, the one holding the lock syncs and the others skip that
// run; stopping aborts the run between days (a day being written finishes first).
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { PapersPubSub } from '../pubsub.ts';
import { type SyncSummary, syncDays } from './sync-days.ts';
import type { SyncLog } from './sync-log.ts';
import { createUpstream } from './upstream.ts';

export interface SyncSchedule {
  /** Stops the schedule; resolves once the run in progress (if any) has ended. */
  stop(): Promise<void>;
  /** Resolves when the next run (or the one in progress) ends, with its summary (tests). */
  nextRun(): Promise<SyncSummary | undefined>;
}

export interface ScheduleOptions {
  db: Db;
  pubsub: PapersPubSub;
  config: Pick<Config, 'syncUrl' | 'syncTimeoutMs' | 'syncRefetchDays' | 'syncOnBadData'>;
  intervalMs: number;
  log: SyncLog;
}

export function startSyncSchedule(options: ScheduleOptions): SyncSchedule {
  const { config, log } = options;
  const stopping = new AbortController();
  const upstream = createUpstream({ url: config.syncUrl, timeoutMs: config.syncTimeoutMs, log });
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<SyncSummary | undefined> | undefined;
  let waiting: ((summary: SyncSummary | undefined) => void)[] = [];

  const tick = async (): Promise<SyncSummary | undefined> => {
    let summary: SyncSummary | undefined;
    try {
      summary = await syncDays(options.db, {
        upstream,
        refetchDays: config.syncRefetchDays,
        onBadData: config.syncOnBadData,
        pubsub: options.pubsub,
        log,
        signal: stopping.signal,
        wait: false,
      });
    } catch (error) {
      if (!stopping.signal.aborted)
        log.warn({ err: (error as Error).message }, `sync failed: ${(error as Error).message}`);
    }
    for (const resolve of waiting) resolve(summary);
    waiting = [];
    if (!stopping.signal.aborted) timer = setTimeout(start, options.intervalMs);
    return summary;
  };
  const start = () => {
    current = tick();
  };
  start();

  return {
    async stop() {
      stopping.abort(new Error('the server is shutting down'));
      clearTimeout(timer);
      await current;
      for (const resolve of waiting) resolve(undefined);
    },
    nextRun: () => new Promise((resolve) => waiting.push(resolve)),
  };
}
