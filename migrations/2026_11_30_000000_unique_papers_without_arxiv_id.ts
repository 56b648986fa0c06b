import { type Kysely, sql } from 'kysely';

// One paper, however it arrives: two papers are one when they share an arXiv id (a unique
// column since the first migration), or a title (its title_key) where either has no arXiv id.
// The half of that rule an index can state goes into the database here: no two papers without
// an arXiv id share a title. Writers check the rest under the writers' lock.
// Frozen in time: never imports from src/.
export async function up(db: Kysely<any>): Promise<void> {
  // Two createPaper calls racing on one title could store it twice before this: say which, and
  // let the operator choose which to keep, rather than delete anyone's data here.
  const { rows } = await sql<{ title_key: string; ids: number[] }>`
    select title_key, array_agg(id order by id) as ids from papers where arxiv_id is null
    group by title_key having count(*) > 1 order by min(id) limit 20`.execute(db);
  if (rows.length > 0) {
    const groups = rows.map((r) => `papers ${r.ids.join(', ')} ("${r.title_key.slice(0, 60)}")`).join('; ');
    throw new Error(
      `papers without an arXiv id share a title: ${groups}. Delete all but one of each (the deletePaper mutation), then start again.`,
    );
  }
  await sql`create unique index papers_title_key_without_arxiv_id_key on papers (title_key) where arxiv_id is null`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index papers_title_key_without_arxiv_id_key`.execute(db);
}
