import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../database.ts';
import { applyFilter, type PaperFilter } from './paper-lists.ts';
import { type ListedPaper, PAPER_COLUMNS, papersQuery } from './papers.ts';

/**
 * How a search matched: the full text (title weighted above abstract), or, when that finds
 * nothing, titles similar to the query (trigrams), which forgives misspellings.
 */
export type SearchMode = 'fulltext' | 'similarity';

export interface SearchHit {
  paper: ListedPaper;
  rank: number;
  /** A snippet of the abstract with the matched words in <mark>…</mark>; null for similarity hits. */
  highlight: string | null;
}

export interface SearchPage {
  mode: SearchMode;
  /** After this position ([rank, id]), best first. */
  after?: { rank: number; id: number } | undefined;
  limit: number;
  /** Compute the highlights (null otherwise). */
  highlight?: boolean;
}

// ts_rank_cd weights for the labels D, C, B, A: the title (A) counts 2.5 times the abstract (B).
const WEIGHTS = sql.lit('{0.1, 0.2, 0.4, 1.0}');
const HEADLINE_OPTIONS = sql.lit(
  'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=" … "',
);

/** The query in web-search syntax: "quoted phrases", -exclusion, or. */
const tsquery = (text: string) => sql`websearch_to_tsquery('english', ${text})`;

function matching(db: Db, text: string, mode: SearchMode, filter: PaperFilter) {
  const rank =
    mode === 'fulltext'
      ? sql<number>`ts_rank_cd(${WEIGHTS}, p.search, ${tsquery(text)})`
      : sql<number>`public.similarity(p.title, ${text})`;
  const where =
    mode === 'fulltext' ? sql<boolean>`p.search @@ ${tsquery(text)}` : sql<boolean>`p.title operator(public.%) ${text}`;
  return applyFilter(papersQuery(db), filter)
    .where(where)
    .select(['p.id', rank.as('rank')]);
}

/**
 * Whether a title search for this text can use the trigram index: pg_trgm takes trigrams from
 * letters and digits only, so a text of punctuation gives none, and the similarity operator
 * would then compare every title of the table.
 */
export function hasTrigrams(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

/**
 * One page of hits, best first (rank, then id), with highlights for the page's papers only.
 * A similarity search of a text without trigrams finds nothing, without reading any title.
 */
export async function searchPapers(db: Db, text: string, filter: PaperFilter, page: SearchPage): Promise<SearchHit[]> {
  if (page.mode === 'similarity' && !hasTrigrams(text)) return [];
  let ranked = db.selectFrom(matching(db, text, page.mode, filter).as('r')).select(['r.id', 'r.rank']);
  if (page.after) {
    // Compared as float8: the rank (a real) widens exactly, and a forged cursor value out of
    // real's range is just a number, not a cast error.
    ranked = ranked.where(sql<boolean>`(r.rank::float8, r.id) < (${page.after.rank}::float8, ${page.after.id}::int)`);
  }
  const top = ranked.orderBy('r.rank', 'desc').orderBy('r.id', 'desc').limit(page.limit);
  const highlight: RawBuilder<string | null> =
    page.mode === 'fulltext' && page.highlight !== false
      ? sql`ts_headline('english', p.abstract, ${tsquery(text)}, ${HEADLINE_OPTIONS})`
      : sql`null`;
  const rows = await db
    .selectFrom(top.as('t'))
    .innerJoin('papers as p', 'p.id', 't.id')
    .select(PAPER_COLUMNS)
    .select([sql<number>`t.rank::float8`.as('rank'), highlight.as('highlight')])
    .orderBy('t.rank', 'desc')
    .orderBy('t.id', 'desc')
    .execute();
  return rows.map(({ rank, highlight: h, ...paper }) => ({ paper, rank, highlight: h }));
}

/** How many papers match the search in this mode, with the filter. */
export async function countSearch(db: Db, text: string, filter: PaperFilter, mode: SearchMode): Promise<number> {
  if (mode === 'similarity' && !hasTrigrams(text)) return 0;
  const row = await db
    .selectFrom(matching(db, text, mode, filter).as('r'))
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}
