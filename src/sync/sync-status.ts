// The sync as the API (syncStatus) and /metrics see it: one function, so both say the same.
import type { Db } from '../db/database.ts';
import { findLastCompletedDay, findLastRun, isSyncLockHeld, type SyncRunStatus } from '../db/queries/sync-state.ts';
import { isSyncRunningHere } from './sync-lock.ts';

export interface SyncStatus {
  /** The latest day ever merged whole (YYYY-MM-DD); null before the first. */
  lastCompletedDay: string | null;
  /** When the last run started; null before the first. */
  lastRunAt: Date | null;
  /** How the last run ended (running while it runs); a run whose process died reads 'interrupted'. */
  lastRunStatus: SyncRunStatus | null;
  /** Why the last run failed or stopped early; null when it completed. */
  lastError: string | null;
  /** Papers the last run created, and papers it changed (so far, while it runs). */
  papersAdded: number;
  papersUpdated: number;
  /** Whether a sync runs now: in this process, or (on PostgreSQL) in any process holding the lock. */
  running: boolean;
}

export async function getSyncStatus(db: Db): Promise<SyncStatus> {
  const [run, lastCompletedDay, lockHeld] = await Promise.all([
    findLastRun(db),
    findLastCompletedDay(db),
    // On the embedded database nobody else can hold it: the query answers false.
    isSyncLockHeld(db),
  ]);
  const running = isSyncRunningHere(db) || lockHeld;
  const status = run?.status === 'running' && !running ? 'interrupted' : (run?.status ?? null);
  return {
    lastCompletedDay: lastCompletedDay ?? null,
    lastRunAt: run?.started_at ?? null,
    lastRunStatus: status,
    lastError:
      status === 'interrupted' && run?.status === 'running' ? 'interrupted: the process stopped' : (run?.error ?? null),
    papersAdded: run?.papers_added ?? 0,
    papersUpdated: run?.papers_updated ?? 0,
    running,
  };
}

/** The status as numbers, for the papergraph_sync gauge (times in unix seconds, 0 before the first). */
export async function syncFigures(db: Db): Promise<Record<string, number>> {
  const status = await getSyncStatus(db);
  const seconds = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : 0);
  return {
    papers_added: status.papersAdded,
    papers_updated: status.papersUpdated,
    running: status.running ? 1 : 0,
    last_run_failed: status.lastError ? 1 : 0,
    last_run_seconds: seconds(status.lastRunAt),
    last_completed_day_seconds: seconds(
      status.lastCompletedDay ? new Date(`${status.lastCompletedDay}T00:00:00Z`) : null,
    ),
  };
}
