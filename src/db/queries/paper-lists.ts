// The paper list engine: which papers a list holds (scope and filter), in which order, a page
// at a time (keyset), and counts and facets over the whole list. Every function serves many
// parents (topics, organizations, authors) in one statement, so a nested query costs one
// statement per level whatever the number of parents.
import { type Expression, type ExpressionBuilder, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { groupBy } from '../../util/group-by.ts';
import type { Db } from '../database.ts';
import type { DB } from '../types.ts';
import { type ListedPaper, PAPER_COLUMNS, type PaperQuery, papersQuery } from './papers.ts';
import { isLeafTopic, topicAndChildren } from './topic-tree.ts';
import { TRENDING_DAY, TRENDING_SCORE, TRENDING_VOTES } from './trending.ts';

export type PaperOrderField = 'published_at' | 'featured_on' | 'upvotes' | 'title' | 'trending';

export interface PaperOrder {
  field: PaperOrderField;
  direction: 'asc' | 'desc';
}

/** Conditions a paper must meet; every one given applies (AND). Bounds are inclusive. */
export interface PaperFilter {
  /** Topic ids; a paper matches when tagged with any of them or with a child of one. */
  topicIds?: readonly number[] | undefined;
  /** Organization name, case-insensitive. */
  organizationName?: string | undefined;
  publishedAfter?: string | undefined;
  publishedBefore?: string | undefined;
  featuredOn?: string | undefined;
  /** Any day of an ISO week (Monday to Sunday): papers featured that week. */
  featuredWeek?: string | undefined;
  /** YYYY-MM: papers featured that month. */
  featuredMonth?: string | undefined;
  minUpvotes?: number | undefined;
  authorsCountMin?: number | undefined;
  authorsCountMax?: number | undefined;
}

/** Which papers a list is drawn from: all, or those of one topic, organization or author. */
export type PaperScope = 'all' | 'topic' | 'organization' | 'author';

/** A position in a sorted list: the sort key's value and the paper id that breaks ties. */
export interface Keyset {
  value: string | number;
  id: number;
}

export interface PageSpec {
  order: PaperOrder;
  after?: Keyset | undefined;
  before?: Keyset | undefined;
  /** Rows to fetch (the caller asks one more than the page to learn whether more exist). */
  limit: number;
  /** Walk backwards from `before` (for `last`): rows come in reverse order. */
  inverted: boolean;
}

/** The sort key of an order field, never NULL: missing dates sort as the oldest. */
function sortKey(field: PaperOrderField): RawBuilder<unknown> {
  switch (field) {
    case 'published_at':
      return sql`coalesce(p.published_at, '-infinity'::date)`;
    case 'featured_on':
      return sql`coalesce(p.featured_on, '-infinity'::date)`;
    case 'upvotes':
      return sql`p.upvotes`;
    case 'title':
      return sql`p.title`;
    case 'trending':
      return TRENDING_SCORE;
  }
}

function keyParam(field: PaperOrderField, value: string | number): RawBuilder<unknown> {
  if (field === 'upvotes') return sql`${value}::int`;
  if (field === 'title') return sql`${value}::text`;
  if (field === 'trending') return sql`${value}::float8`;
  return sql`${value}::date`;
}

/** The value of a row's sort key, as a cursor stores it. */
export function sortValue(paper: ListedPaper, field: PaperOrderField): string | number {
  switch (field) {
    case 'published_at':
      return paper.published_at ?? '-infinity';
    case 'featured_on':
      return paper.featured_on ?? '-infinity';
    case 'upvotes':
      return paper.upvotes;
    case 'title':
      return paper.title;
    case 'trending':
      return paper.trending_score ?? 0;
  }
}

/**
 * Papers tagged with one of these topics or with one of their children. With `sampleEvery`,
 * only the papers whose hashed id is a multiple of it (a 1-in-k pseudo-random sample): it is
 * taken on paper_topics' own column, so the index alone decides which rows go on to read
 * papers; hashing the id keeps it free of any pattern in how ids were given.
 */
function inTopics(topicIds: Expression<number[]>, sampleEvery?: Expression<number>): RawBuilder<boolean> {
  const sample = sampleEvery ? sql` and hashint4(pt.paper_id) % ${sampleEvery} = 0` : sql``;
  return sql<boolean>`p.id in (select pt.paper_id from paper_topics pt where pt.topic_id in ${topicAndChildren(topicIds)}${sample})`;
}

const isEmptyFilter = (filter: PaperFilter) => Object.values(filter).every((v) => v === undefined);

/** The filter's conditions on `papers as p`. */
export function applyFilter(query: PaperQuery, filter: PaperFilter): PaperQuery {
  let q = query;
  if (filter.topicIds) q = q.where(inTopics(sql<number[]>`${[...filter.topicIds]}::int[]`));
  if (filter.organizationName !== undefined) {
    q = q.where(
      sql<boolean>`p.organization_id in (select o.id from organizations o where lower(o.name) = lower(${filter.organizationName}))`,
    );
  }
  // Dates are compared through the same NULL-free expressions the indexes are built on
  // (papers_published_at_idx, papers_featured_on_idx): a missing date is -infinity, which no
  // bound given here matches, so the results are the same and an index range serves them.
  const published = sql<string>`coalesce(p.published_at, '-infinity'::date)`;
  const featured = sql<string>`coalesce(p.featured_on, '-infinity'::date)`;
  if (filter.publishedAfter) q = q.where(published, '>=', sql<string>`${filter.publishedAfter}::date`);
  if (filter.publishedBefore) q = q.where(published, '<=', sql<string>`${filter.publishedBefore}::date`);
  if (filter.featuredOn) q = q.where(featured, '=', sql<string>`${filter.featuredOn}::date`);
  if (filter.featuredWeek) {
    q = q.where(
      sql<boolean>`${featured} between date_trunc('week', ${filter.featuredWeek}::date)::date and date_trunc('week', ${filter.featuredWeek}::date)::date + 6`,
    );
  }
  if (filter.featuredMonth) {
    q = q.where(
      sql<boolean>`${featured} >= ${`${filter.featuredMonth}-01`}::date and ${featured} < (${`${filter.featuredMonth}-01`}::date + interval '1 month')::date`,
    );
  }
  if (filter.minUpvotes !== undefined) q = q.where('p.upvotes', '>=', filter.minUpvotes);
  if (filter.authorsCountMin !== undefined) q = q.where('p.authors_count', '>=', filter.authorsCountMin);
  if (filter.authorsCountMax !== undefined) q = q.where('p.authors_count', '<=', filter.authorsCountMax);
  return q;
}

/** The scope's condition on `papers as p`: the papers of the parent `parentId` stands for. */
export function applyScope(
  query: PaperQuery,
  scope: PaperScope,
  parentId: Expression<number>,
  sampleEvery?: Expression<number>,
): PaperQuery {
  if (scope === 'topic') return query.where(inTopics(sql<number[]>`array[${parentId}]`, sampleEvery));
  if (scope === 'organization') return query.where(sql<boolean>`p.organization_id = ${parentId}`);
  if (scope === 'author') {
    return query.where(
      sql<boolean>`p.id in (select pa.paper_id from paper_authors pa where pa.author_id = ${parentId})`,
    );
  }
  return query;
}

/** The columns a page is sorted and bounded on: the order's key, then the unique id. */
interface PageKeys {
  sort: RawBuilder<unknown>;
  id: RawBuilder<unknown>;
}

/** The keyset bounds, order and limit of a page. */
function applyPage(query: PaperQuery, page: PageSpec, keys?: PageKeys): PaperQuery {
  const key = keys?.sort ?? sortKey(page.order.field);
  const id = keys?.id ?? sql`p.id`;
  const asc = page.order.direction === 'asc';
  let q = query;
  const bound = (cursor: Keyset, forward: boolean) => {
    const op = sql.raw(forward === asc ? '>' : '<');
    return sql<boolean>`(${key}, ${id}) ${op} (${keyParam(page.order.field, cursor.value)}, ${cursor.id}::int)`;
  };
  if (page.after) q = q.where(bound(page.after, true));
  if (page.before) q = q.where(bound(page.before, false));
  const dir = sql.raw(asc !== page.inverted ? 'asc' : 'desc');
  return q.orderBy(sql`${key} ${dir}`).orderBy(sql`${id} ${dir}`).limit(page.limit);
}

/** How many of the newest papers bound the trending search (see trendingBound). */
const TRENDING_RECENT = sql.lit(2000);

/**
 * Which papers can be on a trending page, found without scoring every paper. Score the newest
 * TRENDING_RECENT papers (by the day scores age from): if they fill the page, with m the
 * lowest score on it and d the oldest of their days, every paper from before d is older than
 * all of them, so its score is at most votes / (today - d + 2)^1.5, and only papers with votes
 * ≥ m · (today - d + 2)^1.5 can rank. The page is then taken from papers of day ≥ d or with
 * that many votes: two index ranges. Exact, not an estimate: the same papers in the same
 * order. Undefined (score everything) when the newest do not fill the page: a filter few
 * recent papers meet, or a deep page.
 */
async function trendingBound(db: Db, filter: PaperFilter, page: PageSpec): Promise<RawBuilder<boolean> | undefined> {
  const recent = applyFilter(papersQuery(db), filter)
    .select(['p.id', TRENDING_DAY.as('day'), TRENDING_SCORE.as('score')])
    .orderBy(sql`${TRENDING_DAY} desc`)
    .orderBy('p.id', 'desc')
    .limit(TRENDING_RECENT);
  const after = page.after ? sql`where (r.score, r.id) < (${page.after.value}::float8, ${page.after.id}::int)` : sql``;
  const top = sql`select r.score from recent r ${after} order by r.score desc, r.id desc limit ${page.limit}`;
  // A relative slack of 1e-9 keeps float rounding from dropping a paper that ties exactly.
  const { rows } = await sql<{ day: string | null; votes: number | null }>`
    with recent as (${recent}), top as (${top})
    select (select min(day) from recent) as day,
      case when count(*) < ${page.limit} then null
        else min(score) * power((greatest(current_date - (select min(day) from recent), 0) + 2)::float8, 1.5) * (1 - 1e-9)
      end as votes
    from top`.execute(db);
  const bound = rows[0];
  if (!bound || bound.day === null || bound.votes === null) return undefined;
  return sql<boolean>`(${TRENDING_DAY} >= ${bound.day}::date or ${TRENDING_VOTES} >= ${bound.votes}::float8)`;
}

type ParentRow = ListedPaper & { parent_id: number };

/**
 * One page of papers for each parent (a topic, an organization or an author; one `null`
 * parent for scope 'all'), in one statement: a LATERAL subquery per parent. Returns rows in
 * page order per parent, in the order of `parentIds`.
 */
export async function findPaperPages(
  db: Db,
  scope: PaperScope,
  parentIds: readonly (number | null)[],
  filter: PaperFilter,
  page: PageSpec,
): Promise<ListedPaper[][]> {
  const trending = page.order.field === 'trending';
  if (scope === 'all') {
    const bound =
      trending && page.order.direction === 'desc' && !page.inverted && !page.before
        ? await trendingBound(db, filter, page)
        : undefined;
    let query = applyPage(applyFilter(papersQuery(db), filter), page);
    if (bound) query = query.where(bound);
    const rows: ListedPaper[] = await query
      .select(PAPER_COLUMNS)
      .$if(trending, (q) => q.select(TRENDING_SCORE.as('trending_score')))
      .execute();
    return parentIds.map(() => rows);
  }
  const ids = parentIds.filter((id): id is number => id !== null);
  const pageOf = (eb: ExpressionBuilder<DB, never>) =>
    applyPage(applyFilter(applyScope(papersQuery(eb), scope, sql.ref('s.parent_id')), filter), page)
      .select(PAPER_COLUMNS)
      .$if(trending, (q) => q.select(TRENDING_SCORE.as('trending_score')));
  const rows: ParentRow[] =
    scope === 'topic' && page.order.field === 'published_at'
      ? await newestOfTopics(db, ids, filter, page, pageOf)
      : (
          await sql<ParentRow>`
            select p.*, s.parent_id from unnest(${ids}::int[]) as s(parent_id)
            cross join lateral (${pageOf(db as unknown as ExpressionBuilder<DB, never>)}) p`.execute(db)
        ).rows;
  const byParent = groupBy(rows, (row) => row.parent_id);
  return parentIds.map((id) => (id === null ? [] : (byParent.get(id) ?? [])));
}

/**
 * Pages of topics' papers by publication day. A topic without children (every leaf, and an
 * area nobody subdivided) reads its rows straight off paper_topics_topic_newest_idx, in
 * order, joining each paper until the page is full: a million papers cost the same as a
 * thousand. An area with children (its papers are those of any child, once each) takes the
 * general path. Both branches are in the statement; `s.leaf` switches one off per topic
 * before it runs.
 */
async function newestOfTopics(
  db: Db,
  ids: readonly number[],
  filter: PaperFilter,
  page: PageSpec,
  general: (eb: ExpressionBuilder<DB, never>) => SelectQueryBuilder<DB, never, object>,
): Promise<ParentRow[]> {
  const fromTopic = db
    .selectFrom('paper_topics as pt')
    .innerJoin('papers as p', 'p.id', 'pt.paper_id')
    .where(sql<boolean>`pt.topic_id = s.parent_id`) as unknown as PaperQuery;
  const leaf = applyPage(applyFilter(fromTopic, filter), page, { sort: sql`pt.published_key`, id: sql`pt.paper_id` })
    .where(sql<boolean>`s.leaf`)
    .select(PAPER_COLUMNS);
  const area = general(db as unknown as ExpressionBuilder<DB, never>).where(sql<boolean>`not s.leaf`);
  const { rows } = await sql<ParentRow>`
    select p.*, s.parent_id
    from (select u.id as parent_id, ${isLeafTopic(sql.ref('u.id'))} as leaf from unnest(${[...ids]}::int[]) as u(id)) s
    cross join lateral ((${leaf}) union all (${area})) p`.execute(db);
  return rows;
}

/** The number of papers matching `filter` within each parent's scope, in key order; 0 when none. */
export async function countPapers(
  db: Db,
  scope: PaperScope,
  parentIds: readonly (number | null)[],
  filter: PaperFilter,
): Promise<number[]> {
  if (scope === 'all') {
    const row = await applyFilter(papersQuery(db), filter)
      .select(sql<number>`count(*)::int`.as('count'))
      .executeTakeFirstOrThrow();
    return parentIds.map(() => row.count);
  }
  const ids = parentIds.filter((id): id is number => id !== null);
  const counted = applyFilter(applyScope(papersQuery(db), scope, sql.ref('s.parent_id')), filter).select(
    sql<number>`count(*)::int`.as('count'),
  );
  // A topic without children keeps its count (topics.paper_count, kept by triggers); coalesce
  // counts an area's papers only when that read gives nothing.
  const count =
    scope === 'topic' && isEmptyFilter(filter)
      ? sql`coalesce((select t.paper_count from topics t where t.id = s.parent_id and ${isLeafTopic(sql.ref('t.id'))}), (${counted}))`
      : sql`(${counted})`;
  const { rows } = await sql<{ parent_id: number; count: number }>`
    select s.parent_id, ${count} as count from unnest(${ids}::int[]) as s(parent_id)`.execute(db);
  const counts = new Map(rows.map((r) => [r.parent_id, r.count]));
  return parentIds.map((id) => (id === null ? 0 : (counts.get(id) ?? 0)));
}
