// A paper as the API serves it, and the lookups by key. Lists live in paper-lists.ts, import
// writes in paper-imports.ts, votes in paper-votes.ts.
import { type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { Db } from '../database.ts';
import type { DB, PaperRow } from '../types.ts';

/**
 * The columns a paper is listed with (search and title_key stay in the database). The long
 * texts (PAPER_TEXT_COLUMNS) are left out of lists: they are most of a row's bytes, and
 * parsing them for a hundred papers whose titles were asked for dominated a nested query's
 * server time. They load with the paper by id, or on demand (findPaperLongTexts).
 */
export const PAPER_COLUMNS = [
  'p.id',
  'p.arxiv_id',
  'p.title',
  'p.authors_count',
  'p.published_at',
  'p.featured_on',
  'p.upvotes',
  'p.organization_id',
  'p.github_url',
  'p.project_url',
  'p.comments_count',
  'p.github_stars',
  'p.created_at',
  'p.updated_at',
] as const;

export const PAPER_TEXT_COLUMNS = ['p.abstract', 'p.ai_summary', 'p.keywords'] as const;

/** A paper loaded on its own (by id or arXiv id): everything it is served with. */
const PAPER_FULL_COLUMNS = [...PAPER_COLUMNS, ...PAPER_TEXT_COLUMNS] as const;

export type PaperTexts = Pick<PaperRow, 'id' | 'abstract' | 'ai_summary' | 'keywords'>;

/**
 * A paper as served: the texts are there when it was loaded by id, else they load on demand;
 * `trending_score` is there when a list is ordered by it.
 */
export type ListedPaper = Omit<
  PaperRow,
  'search' | 'title_key' | 'source_date' | 'abstract' | 'ai_summary' | 'keywords'
> &
  Partial<PaperTexts> & { trending_score?: number };

/** `papers as p`: the table every paper query starts from. */
export type PaperQuery = SelectQueryBuilder<DB & { p: DB['papers'] }, 'p', object>;

/** `select … from papers as p`, from the database or inside a subquery. */
export function papersQuery(db: Db | ExpressionBuilder<DB, never>): PaperQuery {
  return (db as Db).selectFrom('papers as p');
}

/** Papers with these ids, in no particular order (the loader sorts). */
export async function findPapersByIds(db: Db, ids: readonly number[]): Promise<ListedPaper[]> {
  return papersQuery(db)
    .select(PAPER_FULL_COLUMNS)
    .where('p.id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute();
}

/** The long texts of these papers, in no particular order (the loader sorts). */
export function findPaperLongTexts(db: Db, ids: readonly number[]): Promise<PaperTexts[]> {
  return papersQuery(db)
    .select(['p.id', ...PAPER_TEXT_COLUMNS])
    .where('p.id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute();
}

/** The papers with their long texts filled in (one statement for all). */
export async function withTexts(db: Db, papers: readonly ListedPaper[]): Promise<(ListedPaper & PaperTexts)[]> {
  const texts = new Map(
    (
      await findPaperLongTexts(
        db,
        papers.map((p) => p.id),
      )
    ).map((t) => [t.id, t]),
  );
  return papers.flatMap((p) => {
    const text = texts.get(p.id);
    return text ? [{ ...p, ...text }] : [];
  });
}

/** Papers with these (normalized) arXiv ids, in no particular order. */
export async function findPapersByArxivIds(db: Db, arxivIds: readonly string[]): Promise<ListedPaper[]> {
  return papersQuery(db)
    .select(PAPER_FULL_COLUMNS)
    .where('p.arxiv_id', '=', sql<string>`any(${[...arxivIds]}::text[])`)
    .execute();
}

/** Id, title, abstract and keywords of these papers (all papers when ids is undefined), for tagging. */
export function findPaperTexts(
  db: Db,
  ids?: readonly number[],
): Promise<{ id: number; title: string; abstract: string; keywords: string[] }[]> {
  let query = db.selectFrom('papers').select(['id', 'title', 'abstract', 'keywords']).orderBy('id');
  if (ids) query = query.where('id', '=', sql<number>`any(${[...ids]}::int[])`);
  return query.execute();
}

/** Whether the database holds any paper at all. */
export async function hasAnyPaper(db: Db): Promise<boolean> {
  return (await db.selectFrom('papers').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/** Deletes a paper (its topics, authors list and votes go with it); false when it did not exist. */
export async function deletePaper(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('papers').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
