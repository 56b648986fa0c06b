import { type Kysely, sql } from 'kysely';

// Trigram similarity finds a paper by a misspelled title when full-text search finds nothing.
// The extension goes in public so that every schema of the database shares one copy.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pg_trgm with schema public`.execute(db);
  await sql`create index papers_title_trgm_idx on papers using gin (title public.gin_trgm_ops)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index papers_title_trgm_idx`.execute(db);
}
