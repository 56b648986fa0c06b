import { sql } from 'kysely';
import type { Db } from '../database.ts';
import type { TopicRow } from '../types.ts';
import { topicAndChildren } from './topic-tree.ts';

/** The columns of a TopicRow. */
const TOPIC_COLUMNS = ['id', 'slug', 'name', 'description', 'parent_id', 'position', 'paper_count'] as const;

/** Topics with these ids, in no particular order (the loader sorts). */
export function findTopicsByIds(db: Db, ids: readonly number[]): Promise<TopicRow[]> {
  return db
    .selectFrom('topics')
    .select(TOPIC_COLUMNS)
    .where('id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute();
}

/** Topics with these slugs, in no particular order. */
export function findTopicsBySlugs(db: Db, slugs: readonly string[]): Promise<TopicRow[]> {
  return db
    .selectFrom('topics')
    .select(TOPIC_COLUMNS)
    .where('slug', '=', sql<string>`any(${[...slugs]}::text[])`)
    .execute();
}

/** Every topic, areas and their topics, in taxonomy order (parents before their children). */
export function findAllTopics(db: Db, options: { rootsOnly?: boolean } = {}): Promise<TopicRow[]> {
  let query = db.selectFrom('topics').select(TOPIC_COLUMNS);
  if (options.rootsOnly) query = query.where('parent_id', 'is', null);
  return query.orderBy('position').orderBy('id').execute();
}

/** The children of these topics, in taxonomy order; the caller groups them by parent_id. */
export function findChildTopics(db: Db, parentIds: readonly number[]): Promise<TopicRow[]> {
  return db
    .selectFrom('topics')
    .select(TOPIC_COLUMNS)
    .where('parent_id', '=', sql<number>`any(${[...parentIds]}::int[])`)
    .orderBy('position')
    .orderBy('id')
    .execute();
}

export type PaperTopicRow = TopicRow & { paper_id: number; score: number };

/** The topics of these papers, each row carrying paper_id and score, best score first per paper. */
export function findTopicsOfPapers(db: Db, paperIds: readonly number[]): Promise<PaperTopicRow[]> {
  return db
    .selectFrom('paper_topics as pt')
    .innerJoin('topics as t', 't.id', 'pt.topic_id')
    .select(TOPIC_COLUMNS.map((column) => `t.${column}` as const))
    .select(['pt.paper_id', 'pt.score'])
    .where('pt.paper_id', '=', sql<number>`any(${[...paperIds]}::int[])`)
    .orderBy('pt.paper_id')
    .orderBy('pt.score', 'desc')
    .orderBy('t.position')
    .execute();
}

/**
 * For each of these papers, the slugs of its topics and of their areas (what a paperAdded
 * subscriber filters on), in key order; empty for a paper without topics.
 */
export async function findTopicSlugsWithAreas(db: Db, paperIds: readonly number[]): Promise<string[][]> {
  const { rows } = await sql<{ paper_id: number; slug: string }>`
    select distinct pt.paper_id, s.slug from paper_topics pt
    join topics t on t.id = pt.topic_id
    join topics s on s.id = t.id or s.id = t.parent_id
    where pt.paper_id = any(${[...paperIds]}::int[])`.execute(db);
  const bySlug = new Map<number, string[]>();
  for (const row of rows) bySlug.set(row.paper_id, [...(bySlug.get(row.paper_id) ?? []), row.slug]);
  return paperIds.map((id) => bySlug.get(id) ?? []);
}

export interface TaxonomyEntry {
  slug: string;
  name: string;
  description: string;
  parent: string | null;
}

/**
 * Adds the taxonomy's topics that the database lacks, in order, and returns the slugs it
 * added. Existing topics are left as they are, so edits made in the database survive.
 */
export async function insertMissingTopics(db: Db, entries: readonly TaxonomyEntry[]): Promise<string[]> {
  if (entries.length === 0) return [];
  const added = await db
    .insertInto('topics')
    .values(entries.map((e, position) => ({ slug: e.slug, name: e.name, description: e.description, position })))
    .onConflict((oc) => oc.column('slug').doNothing())
    .returning('slug')
    .execute();
  const addedSlugs = new Set(added.map((r) => r.slug));
  for (const e of entries) {
    if (!e.parent || !addedSlugs.has(e.slug)) continue;
    await db
      .updateTable('topics')
      .set({ parent_id: (eb) => eb.selectFrom('topics as p').select('p.id').where('p.slug', '=', e.parent) })
      .where('slug', '=', e.slug)
      .execute();
  }
  return [...addedSlugs];
}

/** Every paper's match keys with its topic slugs, best score first (for evaluating the tagger). */
export function findTopicSlugsOfAllPapers(
  db: Db,
): Promise<{ arxiv_id: string | null; title_key: string; slugs: string[] }[]> {
  return db
    .selectFrom('papers as p')
    .select((eb) => [
      'p.arxiv_id',
      'p.title_key',
      eb
        .fn<string[]>('array', [
          eb
            .selectFrom('paper_topics as pt')
            .innerJoin('topics as t', 't.id', 'pt.topic_id')
            .select('t.slug')
            .whereRef('pt.paper_id', '=', 'p.id')
            .orderBy('pt.score', 'desc')
            .orderBy('t.position'),
        ])
        .as('slugs'),
    ])
    .orderBy('p.id')
    .execute();
}

/** Inserts a topic; returns its row. */
export async function insertTopic(
  db: Db,
  topic: { slug: string; name: string; description: string; parent_id: number | null },
): Promise<TopicRow> {
  return db
    .insertInto('topics')
    .values({ ...topic, position: sql<number>`(select coalesce(max(position), 0) + 1 from topics)` })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Changes a topic's name or description; returns the row, or undefined when there is none. */
export async function updateTopic(
  db: Db,
  id: number,
  changes: { name?: string | undefined; description?: string | undefined },
): Promise<TopicRow | undefined> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  return db
    .updateTable('topics')
    .set({ ...set, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Ids of the papers tagged with this topic. */
export async function findPaperIdsOfTopic(db: Db, topicId: number): Promise<number[]> {
  const rows = await db.selectFrom('paper_topics').select('paper_id').where('topic_id', '=', topicId).execute();
  return rows.map((r) => r.paper_id);
}

/**
 * Papers of a topic per period between two dates (inclusive), every period present (zero
 * when none), oldest first. Periods start on the first day of a month or on a Monday.
 */
export async function countTopicTrend(
  db: Db,
  topicId: number,
  from: string,
  to: string,
  interval: 'month' | 'week',
): Promise<{ period: string; count: number }[]> {
  const unit = sql.lit(interval);
  const step = sql.lit(`1 ${interval}`);
  const result = await sql<{ period: string; count: number }>`
    select s.period::date::text as period, count(p.id)::int as count
    from generate_series(date_trunc(${unit}, ${from}::date), date_trunc(${unit}, ${to}::date), ${step}::interval) as s(period)
    left join papers p
      on date_trunc(${unit}, p.published_at) = s.period
     and p.published_at between ${from}::date and ${to}::date
     and p.id in (select pt.paper_id from paper_topics pt where pt.topic_id in ${topicAndChildren(sql<number[]>`array[${topicId}::int]`)})
    group by s.period order by s.period`.execute(db);
  return result.rows;
}

/** Topics that papers of this topic also have, with how many papers share them, most first. */
export async function findRelatedTopics(
  db: Db,
  topicIds: readonly number[],
  limit: number,
): Promise<{ source_id: number; topic_id: number; count: number }[]> {
  const result = await sql<{ source_id: number; topic_id: number; count: number }>`
    select s.id as source_id, r.topic_id, r.count from unnest(${[...topicIds]}::int[]) as s(id)
    cross join lateral (
      select other.topic_id, count(distinct other.paper_id)::int as count
      from paper_topics mine join paper_topics other on other.paper_id = mine.paper_id
      where mine.topic_id in ${topicAndChildren(sql<number[]>`array[s.id]`)}
        and other.topic_id not in ${topicAndChildren(sql<number[]>`array[s.id]`)}
      group by other.topic_id order by count(distinct other.paper_id) desc, other.topic_id limit ${limit}) r`.execute(
    db,
  );
  return result.rows;
}

/**
 * The catalogue writers' lock: every topic row, in id order, until the transaction ends.
 * Writers of paper topics take these rows anyway (the paper_count trigger of migration 040000
 * locks them all on a transaction's first paper_topics write); a writer that takes them
 * first, before it locks any paper, author or organization row, can never hold one of those
 * while waiting for the topics, so writers queue instead of deadlocking. FOR NO KEY UPDATE
 * leaves readers and foreign-key checks (FOR KEY SHARE) unblocked.
 */
export async function lockTopicsForWriting(db: Db): Promise<void> {
  await sql`select 1 from topics order by id for no key update`.execute(db);
}

/** The sizes of the taxonomy that bound some lists of the API: topics in all, areas, and the most children of an area. */
export async function findTaxonomySize(db: Db): Promise<{ topics: number; roots: number; maxChildren: number }> {
  const { rows } = await sql<{ topics: number; roots: number; max_children: number }>`
    select (select count(*)::int from topics) as topics,
      (select count(*)::int from topics where parent_id is null) as roots,
      coalesce((select max(n) from (select count(*)::int as n from topics where parent_id is not null group by parent_id) c), 0)::int as max_children`.execute(
    db,
  );
  const row = rows[0];
  return { topics: row?.topics ?? 0, roots: row?.roots ?? 0, maxChildren: row?.max_children ?? 0 };
}
