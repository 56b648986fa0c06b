import { type Kysely, sql } from 'kysely';

// The Daily Papers sync's memory: each run (what it walked, how it ended, what failed), each
// day (when it was last merged whole, or why it failed), and each page's validators (ETag,
// Last-Modified) for conditional requests. A day's row and its pages are written in the same
// transaction as the day's papers, so the state never claims more than the catalogue holds.
// Frozen in time: never imports from src/.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('running').check(sql`status in ('running', 'completed', 'failed', 'interrupted')`),
    )
    // The range walked, and whether it was a catch-up (no range given).
    .addColumn('first_day', 'date', (c) => c.notNull())
    .addColumn('last_day', 'date', (c) => c.notNull())
    .addColumn('catch_up', 'boolean', (c) => c.notNull())
    // When the chain of runs this one resumes began: days completed since then are not fetched again.
    .addColumn('resumes_from', 'timestamptz', (c) => c.notNull())
    .addColumn('days_planned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('days_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('days_failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('papers_added', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('papers_updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('records_skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('requests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('pid', 'integer')
    .addColumn('host', 'text')
    .execute();

  await db.schema
    .createTable('sync_days')
    .addColumn('day', 'date', (c) => c.primaryKey())
    // The last time the day was merged whole; null until it first is.
    .addColumn('completed_at', 'timestamptz')
    // The run that last merged it.
    .addColumn('run_id', 'integer', (c) => c.references('sync_runs.id').onDelete('set null'))
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('records', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    // The last failure; cleared when the day is merged again.
    .addColumn('failed_at', 'timestamptz')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('sync_days_run_id_idx').on('sync_days').column('run_id').execute();
  await db.schema
    .createIndex('sync_days_failed_idx')
    .on('sync_days')
    .column('day')
    .where(sql.ref('error'), 'is not', null)
    .execute();

  await db.schema
    .createTable('sync_pages')
    .addColumn('day', 'date', (c) => c.notNull().references('sync_days.day').onDelete('cascade'))
    .addColumn('page', 'integer', (c) => c.notNull().check(sql`page >= 0`))
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    // How many entries the page held: a 304 must still tell whether a next page follows.
    .addColumn('entries', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_pages_pkey', ['day', 'page'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sync_pages').execute();
  await db.schema.dropTable('sync_days').execute();
  await db.schema.dropTable('sync_runs').execute();
}
