import { type Expression, type ExpressionBuilder, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { groupBy } from '../../util/group-by.ts';
import type { Db } from '../database.ts';
import type { DB, PaperRow } from '../types.ts';

/**
 * The columns a paper is listed with (search and title_key stay in the database). The long
 * texts (PAPER_TEXT_COLUMNS) are left out of lists: they are most of a row's bytes, and
 * parsing them for a hundred papers whose titles were asked for was a third of a nested
 * query's server time. They load with the paper by id, or on demand (findPaperLongTexts).
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
export type Paper = Omit<PaperRow, 'search' | 'title_key' | 'source_date' | 'abstract' | 'ai_summary' | 'keywords'> &
  Partial<PaperTexts> & { trending_score?: number };

export type PaperOrderField = 'published_at' | 'featured_on' | 'upvotes' | 'title' | 'trending';

/**
 * The trending score: votes (GitHub stars count a hundredth of a vote) decayed by age, like
 * Hacker News: (upvotes + stars / 100 + 1) / (days since featured, else published, + 2)^1.5.
 * It changes with the day (current_date), so a cursor is valid for the day it was made.
 */
const TRENDING_VOTES = sql<number>`(p.upvotes + coalesce(p.github_stars, 0) / 100.0 + 1)::float8`;
/** The day a paper's trending score ages from (a paper without dates: the day it was added, UTC). */
const TRENDING_DAY = sql<string>`coalesce(p.featured_on, p.published_at, (p.created_at at time zone 'UTC')::date)`;
export const TRENDING_SCORE = sql<number>`(${TRENDING_VOTES}
  / power((greatest(current_date - ${TRENDING_DAY}, 0) + 2)::float8, 1.5))`;

/** How many of the newest papers bound the trending search (see trendingBound). */
const TRENDING_RECENT = sql.lit(2000);

/**
 * Which papers can be on a trending page, found without scoring every paper. Score the newest
 * TRENDING_RECENT papers (by the day scores age from): if they fill the page, with m the
 * lowest score on it and d the oldest of their days, every paper from before d is older than
 * all of them, so its score is at most votes / (today - d + 2)^1.5, and only papers with votes
 * ≥ m · (today - d + 2)^1.5 can rank. The page is then taken from papers of day ≥ d or with
 * that many votes: two index ranges. Exact, not an estimate: the same papers in the same
 * order. Undefined (score everything, as before) when the newest do not fill the page: a
 * filter few recent papers meet, or a deep page.
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

type PaperQuery = SelectQueryBuilder<DB & { p: DB['papers'] }, 'p', object>;

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

/** The value of a row's sort key, as the cursor stores it. */
export function sortValue(paper: Paper, field: PaperOrderField): string | number {
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

/** Papers tagged with topic `topicId` or with one of its children. */
function inTopics(topicIds: Expression<unknown>, sampleEvery = 1) {
  // The sample is taken on paper_topics' own column, so the index alone decides which rows
  // go on to read papers; hashing the id keeps it free of any pattern in how ids were given.
  const sample = sampleEvery > 1 ? sql` and hashint4(pt.paper_id) % ${sql.lit(sampleEvery)} = 0` : sql``;
  return sql<boolean>`p.id in (select pt.paper_id from paper_topics pt where pt.topic_id in (select t.id from topics t where t.id = any(${topicIds}) or t.parent_id = any(${topicIds}))${sample})`;
}

const isEmptyFilter = (filter: PaperFilter) => Object.values(filter).every((v) => v === undefined);

export function applyFilter(query: PaperQuery, filter: PaperFilter): PaperQuery {
  let q = query;
  if (filter.topicIds) q = q.where(inTopics(sql`${[...filter.topicIds]}::int[]`));
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

function applyScope(query: PaperQuery, scope: PaperScope, parentId: Expression<unknown>, sampleEvery = 1): PaperQuery {
  if (scope === 'topic') return query.where(inTopics(sql`array[${parentId}]`, sampleEvery));
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

export function papersQuery(db: Db | ExpressionBuilder<DB, never>) {
  return (db as Db).selectFrom('papers as p') as unknown as PaperQuery;
}

/**
 * One page of papers for each parent (a topic or an organization; one `null` parent for
 * scope 'all'), in one statement: a LATERAL subquery per parent. Returns rows in page order
 * per parent, in the order of `parentIds`.
 */
export async function findPaperPages(
  db: Db,
  scope: PaperScope,
  parentIds: readonly (number | null)[],
  filter: PaperFilter,
  page: PageSpec,
): Promise<Paper[][]> {
  if (scope === 'all') {
    const bound =
      page.order.field === 'trending' && page.order.direction === 'desc' && !page.inverted && !page.before
        ? await trendingBound(db, filter, page)
        : undefined;
    const rows = await applyPage(applyFilter(papersQuery(db), filter), page)
      .$if(bound !== undefined, (q) => q.where(bound as RawBuilder<boolean>))
      .select(PAPER_COLUMNS)
      .$if(page.order.field === 'trending', (q) => q.select(TRENDING_SCORE.as('trending_score')))
      .execute();
    return parentIds.map(() => rows as Paper[]);
  }
  const ids = parentIds.filter((id): id is number => id !== null);
  const pageOf = (eb: ExpressionBuilder<DB, never>) => {
    const inner = applyScope(papersQuery(eb), scope, sql.ref('s.parent_id'));
    return applyPage(applyFilter(inner, filter), page)
      .select(PAPER_COLUMNS)
      .$if(page.order.field === 'trending', (q) => q.select(TRENDING_SCORE.as('trending_score')));
  };
  const rows =
    scope === 'topic' && page.order.field === 'published_at'
      ? await newestOfTopics(db, ids, filter, page, pageOf)
      : await db
          .selectFrom(db.selectNoFrom(sql<number>`unnest(${ids}::int[])`.as('parent_id')).as('s'))
          .innerJoinLateral(
            (eb) => pageOf(eb as never).as('p'),
            (join) => join.onTrue(),
          )
          .selectAll('p')
          .select('s.parent_id')
          .execute();
  const byParent = groupBy(rows as (Paper & { parent_id: number })[], (row) => row.parent_id);
  return parentIds.map((id) => (id === null ? [] : (byParent.get(id) ?? [])));
}

/**
 * Pages of topics' papers by publication day. A topic without children (every leaf, and an
 * area nobody subdivided) reads its rows straight off paper_topics_topic_newest_idx, in
 * order, joining each paper until the page is full: a million papers cost the same as a
 * thousand. An area with children (its papers are those of any child, once each) takes the
 * general path. Both branches are in the statement; `s.has_children` switches one off per
 * topic before it runs.
 */
async function newestOfTopics(
  db: Db,
  ids: readonly number[],
  filter: PaperFilter,
  page: PageSpec,
  general: (eb: ExpressionBuilder<DB, never>) => SelectQueryBuilder<DB, never, object>,
) {
  const leaf = applyPage(
    applyFilter(
      db
        .selectFrom('paper_topics as pt')
        .innerJoin('papers as p', 'p.id', 'pt.paper_id')
        .where(sql<boolean>`pt.topic_id = s.parent_id`) as unknown as PaperQuery,
      filter,
    ),
    page,
    { sort: sql`pt.published_key`, id: sql`pt.paper_id` },
  )
    .where(sql<boolean>`not s.has_children`)
    .select(PAPER_COLUMNS);
  const area = general(db as never).where(sql<boolean>`s.has_children`);
  const { rows } = await sql<Paper & { parent_id: number }>`
    select p.*, s.parent_id
    from (select u.id as parent_id, exists (select 1 from topics c where c.parent_id = u.id) as has_children
          from unnest(${[...ids]}::int[]) as u(id)) s
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
  const rows = await db
    .selectFrom(db.selectNoFrom(sql<number>`unnest(${ids}::int[])`.as('parent_id')).as('s'))
    .select((eb) => {
      const counted = applyFilter(applyScope(papersQuery(eb as never), scope, sql.ref('s.parent_id')), filter)
        .select(sql<number>`count(*)::int`.as('count'))
        .$asScalar();
      if (scope !== 'topic' || !isEmptyFilter(filter)) return ['s.parent_id', counted.as('count')];
      // A topic without children keeps its count (topics.paper_count, kept by triggers);
      // coalesce counts an area's papers only when that read gives nothing.
      const kept = sql<number>`(select t.paper_count from topics t where t.id = s.parent_id
        and not exists (select 1 from topics c where c.parent_id = t.id))`;
      return ['s.parent_id', sql<number>`coalesce(${kept}, ${counted})`.as('count')];
    })
    .execute();
  const counts = new Map(rows.map((r) => [r.parent_id, r.count ?? 0]));
  return parentIds.map((id) => (id === null ? 0 : (counts.get(id) ?? 0)));
}

/** Papers with these ids, in no particular order (the loader sorts). */
export async function findPapersByIds(db: Db, ids: readonly number[]): Promise<Paper[]> {
  return (await papersQuery(db)
    .select(PAPER_FULL_COLUMNS)
    .where('p.id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute()) as Paper[];
}

/** The long texts of these papers, in no particular order (the loader sorts). */
export function findPaperLongTexts(db: Db, ids: readonly number[]): Promise<PaperTexts[]> {
  return papersQuery(db)
    .select(['p.id', ...PAPER_TEXT_COLUMNS])
    .where('p.id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute();
}

/** The papers with their long texts filled in (one statement for all). */
export async function withTexts(db: Db, papers: readonly Paper[]): Promise<(Paper & PaperTexts)[]> {
  const texts = new Map(
    (
      await findPaperLongTexts(
        db,
        papers.map((p) => p.id),
      )
    ).map((t) => [t.id, t]),
  );
  return papers.map((p) => ({ ...p, ...(texts.get(p.id) as PaperTexts) }));
}

/** The paper with this arXiv id, or undefined. */
export async function findPaperByArxivId(db: Db, arxivId: string): Promise<Paper | undefined> {
  return (await papersQuery(db).select(PAPER_FULL_COLUMNS).where('p.arxiv_id', '=', arxivId).executeTakeFirst()) as
    | Paper
    | undefined;
}

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
  ) as u(id, arxiv_id, title, abstract, authors_count, published_at, featured_on, upvotes, organization_id,
         github_url, project_url, comments_count, github_stars, ai_summary, keywords_json, source_date)`;
}

const UNNESTED_VALUES = sql`u.arxiv_id, u.title, u.abstract, u.authors_count, u.published_at, u.featured_on, u.upvotes,
  u.organization_id, u.github_url, u.project_url, u.comments_count, u.github_stars, u.ai_summary,
  array(select jsonb_array_elements_text(u.keywords_json::jsonb)), u.source_date`;
const IMPORTED_LIST = sql.join(IMPORTED_COLUMNS.map((c) => sql.id(c)));

/** Inserts papers in one statement; returns their ids in input order. */
export async function insertPapers(db: Db, papers: readonly ImportedPaper[]): Promise<number[]> {
  if (papers.length === 0) return [];
  const result = await sql<{ id: number }>`
    insert into papers (${IMPORTED_LIST})
    select ${UNNESTED_VALUES} from ${unnestPapers(papers)}
    returning id`.execute(db);
  return result.rows.map((r) => r.id);
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

/** A stored paper as the importer and the mutations merge into it, by id; undefined when none. */
export async function findMergeablePaper(db: Db, id: number): Promise<MergeablePaper | undefined> {
  return mergeablePapers(db).where('p.id', '=', id).executeTakeFirst();
}

/** Deletes a paper (its topics, authors list and votes go with it); false when it did not exist. */
export async function deletePaper(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('papers').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Records one vote of a key for a paper and counts it, in one statement: the vote's primary
 * key makes a second vote a no-op, and the increment is atomic, so concurrent votes never
 * drift. Returns the new count, or undefined when this key had already voted (or no paper).
 */
export async function addVote(db: Db, paperId: number, keyId: number): Promise<number | undefined> {
  const result = await sql<{ upvotes: number }>`
    with vote as (
      insert into paper_votes (paper_id, api_key_id) select id, ${keyId} from papers where id = ${paperId}
      on conflict do nothing returning paper_id)
    update papers set upvotes = upvotes + 1 where id in (select paper_id from vote) returning upvotes`.execute(db);
  return result.rows[0]?.upvotes;
}

/** Takes back a key's vote; returns the new count, or undefined when there was no such vote. */
export async function removeVote(db: Db, paperId: number, keyId: number): Promise<number | undefined> {
  const result = await sql<{ upvotes: number }>`
    with vote as (delete from paper_votes where paper_id = ${paperId} and api_key_id = ${keyId} returning paper_id)
    update papers set upvotes = greatest(upvotes - 1, 0) where id in (select paper_id from vote) returning upvotes`.execute(
    db,
  );
  return result.rows[0]?.upvotes;
}

/** Ids of papers whose title or abstract matches any of these rule patterns (as the tagger applies them). */
export async function findPaperIdsMatching(db: Db, patterns: readonly string[]): Promise<number[]> {
  if (patterns.length === 0) return [];
  const wrapped = patterns.map((p) => `\\y(?:${p})\\y`);
  const rows = await db
    .selectFrom('papers')
    .select('id')
    .where((eb) =>
      eb.or([
        eb('title', '~*', sql<string>`any(${wrapped}::text[])`),
        eb('abstract', '~*', sql<string>`any(${wrapped}::text[])`),
      ]),
    )
    .execute();
  return rows.map((r) => r.id);
}

/** Refreshes the planner's statistics of the tables an import fills, so that queries right after it plan well. */
export async function analyzeImportedTables(db: Db): Promise<void> {
  await sql`analyze papers, paper_topics, paper_authors, authors, organizations`.execute(db);
}

/** Papers with these arXiv ids, in no particular order. */
export async function findPapersByArxivIds(db: Db, arxivIds: readonly string[]): Promise<Paper[]> {
  return (await papersQuery(db)
    .select(PAPER_COLUMNS)
    .where('p.arxiv_id', '=', sql<string>`any(${[...arxivIds]}::text[])`)
    .execute()) as Paper[];
}

export interface Facets {
  topics: { topic_id: number; count: number }[];
  organizations: { organization_id: number; count: number }[];
  years: { year: number; count: number }[];
  /** 1 when counted exactly; k when counted on a 1-in-k sample of paper ids and multiplied by k. */
  sampleEvery: number;
}

/** Above about this many papers in a topic, its facets are estimated from a sample this big. */
export const FACET_SAMPLE_SIZE = 10_000;

/**
 * Counts over the whole filtered list (not a page), by topic, organization and publication
 * year, biggest first (years newest first), at most `limit` of each.
 *
 * In a topic with more than `sampleSize` papers (by its kept counts, children included) the
 * counts are estimates: taken on the papers whose hashed id is a multiple of k (a 1-in-k
 * pseudo-random sample, k chosen so that about `sampleSize` remain), and multiplied by k.
 * Exact counts there read every paper of the topic (seconds at a million papers); the sample
 * reads the topic's index entries and about `sampleSize` papers.
 */
export async function countFacets(
  db: Db,
  scope: PaperScope,
  parentId: number | null,
  filter: PaperFilter,
  limit: number,
  sampleSize = FACET_SAMPLE_SIZE,
): Promise<Facets> {
  let every = 1;
  if (scope === 'topic' && parentId !== null) {
    const size = await db
      .selectFrom('topics')
      .select(sql<number>`coalesce(sum(paper_count), 0)::int`.as('n'))
      .where((eb) => eb.or([eb('id', '=', parentId), eb('parent_id', '=', parentId)]))
      .executeTakeFirstOrThrow();
    if (size.n > sampleSize) every = Math.ceil(size.n / sampleSize);
  }
  const base = () => applyFilter(applyScope(papersQuery(db), scope, sql`${parentId}::int`, every), filter);
  const scaled = sql<number>`(count(*) * ${sql.lit(every)})::int`;
  const [topics, organizations, years] = await Promise.all([
    db
      .selectFrom('paper_topics as pt')
      .select(['pt.topic_id', scaled.as('count')])
      .where('pt.paper_id', 'in', base().select('p.id'))
      .groupBy('pt.topic_id')
      .orderBy('count', 'desc')
      .orderBy('pt.topic_id')
      .limit(limit)
      .execute(),
    base()
      .where('p.organization_id', 'is not', null)
      .select([sql<number>`p.organization_id`.as('organization_id'), scaled.as('count')])
      .groupBy('p.organization_id')
      .orderBy('count', 'desc')
      .orderBy('p.organization_id')
      .limit(limit)
      .execute(),
    base()
      .where('p.published_at', 'is not', null)
      .select([sql<number>`extract(year from p.published_at)::int`.as('year'), scaled.as('count')])
      .groupBy(sql`extract(year from p.published_at)::int`)
      .orderBy('year', 'desc')
      .limit(limit)
      .execute(),
  ]);
  return { topics, organizations, years, sampleEvery: every };
}

const CANDIDATES_PER_SIDE = sql.lit(100);

/**
 * For each paper, the papers most like it, best first, itself excluded: sharing topics (twice
 * the products of the two papers' topic scores, summed) and words (the paper's title words, any
 * of them, ranked in the other's text, normalized below 1). One statement for all the papers.
 */
export async function findSimilarPapers(
  db: Db,
  paperIds: readonly number[],
  limit: number,
): Promise<(Paper & { source_id: number })[]> {
  // Candidates come from the paper's own topics, read off paper_topics_topic_newest_idx: in each
  // topic, the CANDIDATES_PER_SIDE papers published just before it and just after it. That
  // bounds the work (at most 4 topics × 2 × 100 rows) however large the topics grow, and
  // prefers papers of the same period. Candidates are scored by shared topics (weighing twice)
  // plus the title's words in their text (rank normalized into [0, 1), flag 32).
  const result = await sql<Paper & { source_id: number }>`
    select s.id as source_id, ${sql.join(PAPER_COLUMNS.map((c) => sql.ref(c)))}
    from unnest(${[...paperIds]}::int[]) as s(id)
    cross join lateral (
      with src as (
        select src.id, coalesce(src.published_at, '-infinity'::date) as k,
          nullif(replace(plainto_tsquery('english', src.title)::text, '&', '|'), '')::tsquery as q
        from papers src where src.id = s.id),
      mine as (select topic_id, score from paper_topics where paper_id = s.id),
      candidates as (
        select distinct c.paper_id as id
        from mine cross join src cross join lateral (
          (select pt.paper_id from paper_topics pt
           where pt.topic_id = mine.topic_id and (pt.published_key, pt.paper_id) < (src.k, src.id)
           order by pt.published_key desc, pt.paper_id desc limit ${CANDIDATES_PER_SIDE})
          union all
          (select pt.paper_id from paper_topics pt
           where pt.topic_id = mine.topic_id and (pt.published_key, pt.paper_id) > (src.k, src.id)
           order by pt.published_key, pt.paper_id limit ${CANDIDATES_PER_SIDE})) c)
      select c.id,
        2 * (select coalesce(sum(m.score * b.score), 0) from paper_topics b join mine m on m.topic_id = b.topic_id
             where b.paper_id = c.id)
          + coalesce(ts_rank_cd(p.search, src.q, 32), 0) as score
      from candidates c join papers p on p.id = c.id cross join src
      order by score desc, c.id
      limit ${limit}) r
    join papers p on p.id = r.id
    order by s.id, r.score desc, r.id`.execute(db);
  return result.rows;
}

/** The trending score of each paper today, in key order; 0 for a missing paper. */
export async function findTrendingScores(db: Db, ids: readonly number[]): Promise<number[]> {
  const rows = await papersQuery(db)
    .select(['p.id', TRENDING_SCORE.as('score')])
    .where('p.id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute();
  const scores = new Map(rows.map((r) => [r.id, r.score]));
  return ids.map((id) => scores.get(id) ?? 0);
}
