// Which days a sync walks. With a range: every day of it. Without: a catch-up from the last day
// ever completed, plus the last few days again (their counts still move), plus the days whose
// last attempt failed. Either way, a run that resumes an interrupted or failed one with the same
// range skips the days that chain of runs already merged: each day is merged once.
import type { Db } from '../db/database.ts';
import {
  findDaysCompletedSince,
  findFailedDays,
  findLastCompletedDay,
  findLastRun,
  markRunsInterrupted,
  type SyncRunRow,
} from '../db/queries/sync-state.ts';
import { addDays, daysFrom } from './calendar.ts';

export interface SyncRange {
  since: string;
  /** Today when absent. */
  until?: string | undefined;
}

export interface Plan {
  /** The range walked (catch-up: computed from the state). */
  first: string;
  last: string;
  catchUp: boolean;
  /** The days to fetch, in order. */
  days: string[];
  /** The run this one resumes, and the days it (and the runs it resumed) already merged. */
  resumed: { run: SyncRunRow; skipped: number } | undefined;
}

export interface PlanOptions {
  range?: SyncRange | undefined;
  today: string;
  refetchDays: number;
}

/**
 * Plans a run. Call it holding the sync lock: runs still marked 'running' are then known to be
 * dead, and are marked interrupted here.
 */
export async function planRun(db: Db, options: PlanOptions): Promise<Plan> {
  await markRunsInterrupted(db);
  const { today, range } = options;
  let first: string;
  let last: string;
  let days: string[];
  if (range) {
    first = range.since;
    last = range.until ?? today;
    if (first > last) throw new RangeError(`the range starts (${first}) after it ends (${last})`);
    days = daysFrom(first, last);
  } else {
    const window = addDays(today, -options.refetchDays);
    const lastDone = await findLastCompletedDay(db);
    const next = lastDone ? addDays(lastDone, 1) : window;
    first = window;
    if (next < first) first = next;
    last = today;
    const failed = (await findFailedDays(db)).filter((d) => d < first);
    days = [...failed, ...daysFrom(first, last)];
  }
  const previous = await findLastRun(db);
  // A catch-up resumes only a run that was cut short: one that failed ended on its own, and
  // resuming it would keep the last days from being fetched again while a bad day keeps failing.
  const resumes =
    previous &&
    (previous.status === 'interrupted' || (previous.status === 'failed' && !!range)) &&
    previous.catch_up === !range &&
    previous.first_day === first &&
    previous.last_day === last;
  if (!resumes) return { first, last, catchUp: !range, days, resumed: undefined };
  const done = new Set(await findDaysCompletedSince(db, days[0] ?? first, last, previous.resumes_from));
  return {
    first,
    last,
    catchUp: !range,
    days: days.filter((d) => !done.has(d)),
    resumed: { run: previous, skipped: done.size },
  };
}
