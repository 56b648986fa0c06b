import { type Kysely, sql } from 'kysely';

// A search ranks every match by ts_rank_cd, which reads each matching paper's search vector.
// At about 1.7 kB compressed, PostgreSQL moved the vector out of the row into the TOAST table,
// so every match cost a second lookup (TOAST index and page) besides its heap page. Storage
// MAIN keeps the vector compressed in the row (the abstract, which only a page of results
// reads, is compressed or moved out first). Ranking the 1,931 matches of "knowledge
// distillation" among 100,000 papers went from 11 to 5.4 ms; at 1,000,000 papers a search
// costs PostgreSQL half the CPU it did. It applies to rows written from now on; existing rows
// move when they are next updated, or all at once with `VACUUM FULL papers` (locks the table).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table papers alter column search set storage main`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table papers alter column search set storage extended`.execute(db);
}
