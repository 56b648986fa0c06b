import { sql } from 'kysely';
import type { Db } from '../database.ts';

export interface PaperAuthorInput {
  paperId: number;
  names: readonly { name: string; hidden: boolean }[];
}

/**
 * Replaces the author lists of these papers, creating authors by name as needed
 * (the same name is the same author). Three statements, whatever the number of papers.
 */
export async function replacePaperAuthors(db: Db, papers: readonly PaperAuthorInput[]): Promise<void> {
  if (papers.length === 0) return;
  const names = [...new Set(papers.flatMap((p) => p.names.map((n) => n.name)))];
  await sql`insert into authors (name) select unnest(${names}::text[]) on conflict (name) do nothing`.execute(db);
  const ids = new Map(
    (
      await db
        .selectFrom('authors')
        .select(['id', 'name'])
        .where('name', '=', sql<string>`any(${names}::text[])`)
        .execute()
    ).map((a) => [a.name, a.id]),
  );
  await db
    .deleteFrom('paper_authors')
    .where('paper_id', '=', sql<number>`any(${papers.map((p) => p.paperId)}::int[])`)
    .execute();
  const rows = papers.flatMap((p) =>
    p.names.map((n, i) => ({
      paper_id: p.paperId,
      position: i + 1,
      author_id: ids.get(n.name) ?? 0,
      hidden: n.hidden,
    })),
  );
  await sql`
    insert into paper_authors (paper_id, position, author_id, hidden)
    select * from unnest(
      ${rows.map((r) => r.paper_id)}::int[], ${rows.map((r) => r.position)}::int[],
      ${rows.map((r) => r.author_id)}::int[], ${rows.map((r) => r.hidden)}::bool[])`.execute(db);
}

export interface PaperAuthorRow {
  paper_id: number;
  position: number;
  hidden: boolean;
  author_id: number;
  name: string;
}

/** The first `limit` authors of each of these papers, in order within each paper; the caller groups by paper_id. */
export function findAuthorsOfPapers(db: Db, paperIds: readonly number[], limit: number): Promise<PaperAuthorRow[]> {
  return (
    db
      .selectFrom('paper_authors as pa')
      .innerJoin('authors as a', 'a.id', 'pa.author_id')
      .select(['pa.paper_id', 'pa.position', 'pa.hidden', 'pa.author_id', 'a.name'])
      .where('pa.paper_id', '=', sql<number>`any(${[...paperIds]}::int[])`)
      // Positions run from 1 without gaps (replacePaperAuthors writes them so).
      .where('pa.position', '<=', limit)
      .orderBy('pa.paper_id')
      .orderBy('pa.position')
      .execute()
  );
}

/** Authors with these ids, in no particular order (the loader sorts). */
export function findAuthorsByIds(db: Db, ids: readonly number[]) {
  return db
    .selectFrom('authors')
    .selectAll()
    .where('id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute();
}

/** The author with exactly this name, or undefined. */
export function findAuthorByName(db: Db, name: string) {
  return db.selectFrom('authors').selectAll().where('name', '=', name).executeTakeFirst();
}
