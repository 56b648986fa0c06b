// How imports (and the paper mutations, which go through the same path) read and write papers:
// the values an import owns, the keys it matches on, and set-based inserts and updates.
import { sql } from 'kysely';
import type { Db } from '../database.ts';
import type { PaperRow } from '../types.ts';

/** The columns an import writes. */
export const IMPORTED_COLUMNS = [
  'arxiv_id',
  'title',
  'abstract',
  'authors_count',
  'published_at',
  'featured_on',
  'upvotes',
  'organization_id',
  'github_url',
  'project_url',
  'comments_count',
  'github_stars',
  'ai_summary',
  'keywords',
  'source_date',
] as const;

export type ImportedPaper = Pick<PaperRow, (typeof IMPORTED_COLUMNS)[number]>;

/** A stored paper as an import sees it: its values, its match keys, and whether it has author rows. */
export type MergeablePaper = ImportedPaper & { id: number; title_key: string; has_authors: boolean };

/**
 * The title keys (see the papers.title_key column) of these titles, computed by the same
 * SQL expression as the column, in input order.
 */
export async function titleKeys(db: Db, titles: readonly string[]): Promise<string[]> {
  if (titles.length === 0) return [];
  const rows = await db
    .selectNoFrom(
      sql<
        string[]
      >`array(select btrim(lower(regexp_replace(t, '[^[:alnum:]]+', ' ', 'g'))) from unnest(${[...titles]}::text[]) with ordinality as u(t, n) order by n)`.as(
        'keys',
      ),
    )
    .executeTakeFirstOrThrow();
  return rows.keys;
}

/** Papers as an import or a mutation merges into them, locked until the transaction ends. */
function mergeablePapers(db: Db) {
  return db
    .selectFrom('papers as p')
    .select(['p.id', 'p.title_key', ...IMPORTED_COLUMNS.map((c) => `p.${c}` as const)])
    .select((eb) =>
      eb
        .exists(eb.selectFrom('paper_authors as pa').whereRef('pa.paper_id', '=', 'p.id'))
        .$castTo<boolean>()
        .as('has_authors'),
    )
    .orderBy('p.id')
    .forUpdate();
}

/** Existing papers matching any of these arXiv ids or title keys. */
export async function findPapersToMerge(
  db: Db,
  arxivIds: readonly string[],
  keys: readonly string[],
): Promise<MergeablePaper[]> {
  return mergeablePapers(db)
    .where((eb) =>
      eb.or([
        eb('p.arxiv_id', '=', sql<string>`any(${[...arxivIds]}::text[])`),
        eb('p.title_key', '=', sql<string>`any(${[...keys]}::text[])`),
      ]),
    )
    .execute();
}

// Batches go in as one array per column (unnest): a handful of parameters, however many rows.
// keywords (text[] per row) cannot be a 2-D array of ragged rows, so each travels as JSON.
function unnestPapers(papers: readonly ImportedPaper[], ids?: readonly number[]) {
  const col = <K extends (typeof IMPORTED_COLUMNS)[number]>(k: K) => papers.map((p) => p[k]);
  return sql`unnest(
    ${ids ? [...ids] : null}::int[],
    ${col('arxiv_id')}::text[], ${col('title')}::text[], ${col('abstract')}::text[], ${col('authors_count')}::int[],
    ${col('published_at')}::date[], ${col('featured_on')}::date[], ${col('upvotes')}::int[], ${col('organization_id')}::int[],
    ${col('github_url')}::text[], ${col('project_url')}::text[], ${col('comments_count')}::int[], ${col('github_stars')}::int[],
    ${col('ai_summary')}::text[], ${papers.map((p) => JSON.stringify(p.keywords))}::text[], ${col('source_date')}::date[]
  ) with ordinality as u(id, arxiv_id, title, abstract, authors_count, published_at, featured_on, upvotes,
         organization_id, github_url, project_url, comments_count, github_stars, ai_summary, keywords_json, source_date, n)`;
}

const UNNESTED_VALUES = sql`u.arxiv_id, u.title, u.abstract, u.authors_count, u.published_at, u.featured_on, u.upvotes,
  u.organization_id, u.github_url, u.project_url, u.comments_count, u.github_stars, u.ai_summary,
  array(select jsonb_array_elements_text(u.keywords_json::jsonb)), u.source_date`;
const IMPORTED_LIST = sql.join(IMPORTED_COLUMNS.map((c) => sql.id(c)));

/**
 * Inserts papers in one statement; returns their ids in input order. The rows go in in input
 * order, so the identity column hands them increasing ids: sorting the ids gives that order
 * back (RETURNING itself promises no order).
 */
export async function insertPapers(db: Db, papers: readonly ImportedPaper[]): Promise<number[]> {
  if (papers.length === 0) return [];
  const result = await sql<{ id: number }>`
    insert into papers (${IMPORTED_LIST})
    select ${UNNESTED_VALUES} from ${unnestPapers(papers)} order by u.n
    returning id`.execute(db);
  return result.rows.map((r) => r.id).sort((a, b) => a - b);
}

/** Overwrites the imported columns of these papers (one statement) and stamps updated_at. */
export async function updatePapers(db: Db, papers: readonly (ImportedPaper & { id: number })[]): Promise<void> {
  if (papers.length === 0) return;
  await sql`
    update papers p set (${IMPORTED_LIST}, updated_at) = (${UNNESTED_VALUES}, now())
    from ${unnestPapers(
      papers,
      papers.map((x) => x.id),
    )}
    where p.id = u.id`.execute(db);
}

/** A stored paper as the importer and the mutations merge into it, by id; undefined when none. */
export async function findMergeablePaper(db: Db, id: number): Promise<MergeablePaper | undefined> {
  return mergeablePapers(db).where('p.id', '=', id).executeTakeFirst();
}

/** Refreshes the planner's statistics of the tables an import fills, so that queries right after it plan well. */
export async function analyzeImportedTables(db: Db): Promise<void> {
  await sql`analyze papers, paper_topics, paper_authors, authors, organizations`.execute(db);
}
