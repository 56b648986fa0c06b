// The Daily Papers sync's state: runs, days and page validators (see the add_sync_state
// migration), and the advisory lock that lets one process at a time sync a database.
import { sql } from 'kysely';
import type { Db } from '../database.ts';

export type SyncRunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface SyncRunRow {
  id: number;
  started_at: Date;
  finished_at: Date | null;
  status: SyncRunStatus;
  first_day: string;
  last_day: string;
  catch_up: boolean;
  resumes_from: Date;
  days_planned: number;
  days_done: number;
  days_failed: number;
  papers_added: number;
  papers_updated: number;
  records_skipped: number;
  requests: number;
  error: string | null;
  pid: number | null;
  host: string | null;
}

/** A page as last merged: its validators for a conditional request, and how many entries it held. */
export interface SyncPageRow {
  page: number;
  etag: string | null;
  last_modified: string | null;
  entries: number;
}

// The lock's key: a fixed class, and the schema, so that databases sharing a server (and test
// schemas sharing a database) each have their own.
const LOCK_CLASS = sql`hashtext('papergraph daily papers sync')`;
const LOCK_KEY = sql`hashtext(current_schema())`;

/**
 * Takes the sync's advisory lock for the caller's transaction, if free: true when taken. A
 * transaction-level lock ends with its transaction, or with its connection when the process
 * dies, so it cannot be leaked. Run it in a transaction kept open for the whole sync.
 */
export async function tryLockSync(trx: Db): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`
    select pg_try_advisory_xact_lock(${LOCK_CLASS}, ${LOCK_KEY}) as locked`.execute(trx);
  return rows[0]?.locked === true;
}

/** Whether any session (any process) holds the sync's advisory lock on this database and schema. */
export async function isSyncLockHeld(db: Db): Promise<boolean> {
  const { rows } = await sql<{ held: boolean }>`
    select exists (
      select 1 from pg_locks
      where locktype = 'advisory' and granted and objsubid = 2
        and database = (select oid from pg_database where datname = current_database())
        and classid = ${LOCK_CLASS}::oid and objid = ${LOCK_KEY}::oid
    ) as held`.execute(db);
  return rows[0]?.held === true;
}

/** Whether this is the embedded database (PGlite: one process, one connection), by its version string. */
export async function isEmbeddedDatabase(db: Db): Promise<boolean> {
  const { rows } = await sql<{ embedded: boolean }>`select position('PGlite' in version()) > 0 as embedded`.execute(db);
  return rows[0]?.embedded === true;
}

const RUN_COLUMNS = [
  'id',
  'started_at',
  'finished_at',
  'status',
  'first_day',
  'last_day',
  'catch_up',
  'resumes_from',
  'days_planned',
  'days_done',
  'days_failed',
  'papers_added',
  'papers_updated',
  'records_skipped',
  'requests',
  'error',
  'pid',
  'host',
] as const;

/** The newest run (by id), whatever its status; undefined before the first. */
export async function findLastRun(db: Db): Promise<SyncRunRow | undefined> {
  const row = await db.selectFrom('sync_runs').select(RUN_COLUMNS).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row as SyncRunRow | undefined;
}

/**
 * Marks runs still 'running' as interrupted: called by the lock holder, so none of them is
 * running any more (their process stopped). Returns them, newest first.
 */
export async function markRunsInterrupted(db: Db): Promise<SyncRunRow[]> {
  const rows = await db
    .updateTable('sync_runs')
    .set({
      status: 'interrupted',
      finished_at: sql`now()`,
      error: sql`coalesce(error, 'interrupted: the process stopped after ' || days_done || ' of ' || days_planned || ' days')`,
    })
    .where('status', '=', 'running')
    .returning(RUN_COLUMNS)
    .execute();
  return (rows as SyncRunRow[]).sort((a, b) => b.id - a.id);
}

export interface NewRun {
  firstDay: string;
  lastDay: string;
  catchUp: boolean;
  /** Null: the run starts a new chain (its own start time). */
  resumesFrom: Date | null;
  daysPlanned: number;
  pid: number;
  host: string;
}

/** Records a run as started; returns its row. */
export async function insertRun(db: Db, run: NewRun): Promise<SyncRunRow> {
  const row = await db
    .insertInto('sync_runs')
    .values({
      first_day: run.firstDay,
      last_day: run.lastDay,
      catch_up: run.catchUp,
      resumes_from: run.resumesFrom ?? sql<Date>`now()`,
      days_planned: run.daysPlanned,
      pid: run.pid,
      host: run.host,
    })
    .returning(RUN_COLUMNS)
    .executeTakeFirstOrThrow();
  return row as SyncRunRow;
}

export interface RunProgress {
  daysDone?: number;
  daysFailed?: number;
  papersAdded?: number;
  papersUpdated?: number;
  recordsSkipped?: number;
  requests?: number;
}

/** Adds to a run's counters (in the transaction of the day they count). */
export async function addRunProgress(db: Db, runId: number, p: RunProgress): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set((eb) => ({
      days_done: eb('days_done', '+', p.daysDone ?? 0),
      days_failed: eb('days_failed', '+', p.daysFailed ?? 0),
      papers_added: eb('papers_added', '+', p.papersAdded ?? 0),
      papers_updated: eb('papers_updated', '+', p.papersUpdated ?? 0),
      records_skipped: eb('records_skipped', '+', p.recordsSkipped ?? 0),
      requests: eb('requests', '+', p.requests ?? 0),
    }))
    .where('id', '=', runId)
    .execute();
}

/** Ends a run with its status and, when it failed or was interrupted, why. */
export async function finishRun(db: Db, runId: number, status: SyncRunStatus, error: string | null): Promise<void> {
  await db.updateTable('sync_runs').set({ status, error, finished_at: sql`now()` }).where('id', '=', runId).execute();
}

/** The latest day ever merged whole; undefined before the first. */
export async function findLastCompletedDay(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom('sync_days')
    .select((eb) => eb.fn.max('day').as('day'))
    .where('completed_at', 'is not', null)
    .executeTakeFirst();
  return row?.day ?? undefined;
}

/** Days whose last attempt failed and that have not been merged since, in day order. */
export async function findFailedDays(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('sync_days').select('day').where('error', 'is not', null).orderBy('day').execute();
  return rows.map((r) => r.day);
}

/** The days from first to last (inclusive) merged whole at or after `since`, in day order. */
export async function findDaysCompletedSince(db: Db, first: string, last: string, since: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('sync_days')
    .select('day')
    .where('day', '>=', first)
    .where('day', '<=', last)
    .where('completed_at', '>=', since)
    .orderBy('day')
    .execute();
  return rows.map((r) => r.day);
}

/** The pages of a day as last merged, in page order (none before its first merge). */
export async function findDayPages(db: Db, day: string): Promise<SyncPageRow[]> {
  return db
    .selectFrom('sync_pages')
    .select(['page', 'etag', 'last_modified', 'entries'])
    .where('day', '=', day)
    .orderBy('page')
    .execute();
}

export interface MergedDay {
  day: string;
  runId: number;
  pages: SyncPageRow[];
  records: number;
  created: number;
  updated: number;
  skipped: number;
}

/**
 * Records a day as merged whole, with its pages' validators (replacing the previous ones), and
 * clears its failure. Run it in the transaction that merged the day's papers.
 */
export async function saveMergedDay(db: Db, d: MergedDay): Promise<void> {
  const values = {
    completed_at: sql<Date>`now()`,
    run_id: d.runId,
    pages: d.pages.length,
    records: d.records,
    created: d.created,
    updated: d.updated,
    skipped: d.skipped,
    failed_at: null,
    error: null,
  };
  await db
    .insertInto('sync_days')
    .values({ day: d.day, ...values })
    .onConflict((oc) => oc.column('day').doUpdateSet(values))
    .execute();
  await db.deleteFrom('sync_pages').where('day', '=', d.day).execute();
  if (d.pages.length > 0) {
    await db
      .insertInto('sync_pages')
      .values(d.pages.map((p) => ({ day: d.day, ...p })))
      .execute();
  }
}

/** Records why a day failed; its last merge (completed_at, run_id, pages) stays as it was. */
export async function saveDayFailure(db: Db, day: string, error: string): Promise<void> {
  await db
    .insertInto('sync_days')
    .values({ day, failed_at: sql<Date>`now()`, error })
    .onConflict((oc) => oc.column('day').doUpdateSet({ failed_at: sql<Date>`now()`, error }))
    .execute();
}
