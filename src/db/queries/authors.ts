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
    p.names.map((n, i) => ({ paper_id: p.paperId, position: i + 1, author_id: ids.get(n.name) ?? 0, hidden: n.hidden })),
  );
  await sql`
    insert into paper_authors (paper_id, position, author_id, hidden)
    select * from unnest(
      ${rows.map((r) => r.paper_id)}::int[], ${rows.map((r) => r.position)}::int[],
      ${rows.map((r) => r.author_id)}::int[], ${rows.map((r) => r.hidden)}::bool[])`.execute(db);
}
