import { sql } from 'kysely';
import type { Db } from '../database.ts';
import type { TopicRow } from '../types.ts';

/** Topics with these ids, in no particular order (the loader sorts). */
export function findTopicsByIds(db: Db, ids: readonly number[]): Promise<TopicRow[]> {
  return db
    .selectFrom('topics')
    .selectAll()
    .where('id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute();
}

/** Topics with these slugs, in no particular order. */
export function findTopicsBySlugs(db: Db, slugs: readonly string[]): Promise<TopicRow[]> {
  return db
    .selectFrom('topics')
    .selectAll()
    .where('slug', '=', sql<string>`any(${[...slugs]}::text[])`)
    .execute();
}

/** Every topic, areas and their topics, in taxonomy order (parents before their children). */
export function findAllTopics(db: Db, options: { rootsOnly?: boolean } = {}): Promise<TopicRow[]> {
  let query = db.selectFrom('topics').selectAll();
  if (options.rootsOnly) query = query.where('parent_id', 'is', null);
  return query.orderBy('position').orderBy('id').execute();
}

/** The children of these topics, in taxonomy order; the caller groups them by parent_id. */
export function findChildTopics(db: Db, parentIds: readonly number[]): Promise<TopicRow[]> {
  return db
    .selectFrom('topics')
    .selectAll()
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
    .selectAll('t')
    .select(['pt.paper_id', 'pt.score'])
    .where('pt.paper_id', '=', sql<number>`any(${[...paperIds]}::int[])`)
    .orderBy('pt.paper_id')
    .orderBy('pt.score', 'desc')
    .orderBy('t.position')
    .execute();
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

export interface TopicRuleRow {
  topic: string;
  pattern: string;
  weight: number;
}

/** The tagger's rules, with their topic's slug, for topics without children. */
export function findTopicRules(db: Db): Promise<TopicRuleRow[]> {
  return db
    .selectFrom('topic_rules as r')
    .innerJoin('topics as t', 't.id', 'r.topic_id')
    .select(['t.slug as topic', 'r.pattern', 'r.weight'])
    .where((eb) => eb.not(eb.exists(eb.selectFrom('topics as c').select('c.id').whereRef('c.parent_id', '=', 't.id'))))
    .orderBy('r.id')
    .execute();
}

/** Adds rules (by topic slug); a rule already present for its topic is left alone. */
export async function insertTopicRules(db: Db, rules: readonly TopicRuleRow[]): Promise<void> {
  if (rules.length === 0) return;
  const ids = new Map(
    (await findTopicsBySlugs(db, [...new Set(rules.map((r) => r.topic))])).map((t) => [t.slug, t.id]),
  );
  const values = rules.flatMap((r) => {
    const topicId = ids.get(r.topic);
    return topicId === undefined ? [] : [{ topic_id: topicId, pattern: r.pattern, weight: r.weight }];
  });
  if (values.length === 0) return;
  await db
    .insertInto('topic_rules')
    .values(values)
    .onConflict((oc) => oc.columns(['topic_id', 'pattern']).doNothing())
    .execute();
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
  // Writers of paper topics lock every topic row in id order (the paper_count trigger,
  // migration 040000); taking them the same way before touching one keeps this transaction,
  // which re-tags papers next, from deadlocking with them.
  await sql`select 1 from topics order by id for no key update`.execute(db);
  return db
    .updateTable('topics')
    .set({ ...set, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Replaces a topic's tagger rules; returns the patterns it had before. */
export async function replaceTopicRules(
  db: Db,
  topicId: number,
  rules: readonly { pattern: string; weight: number }[],
): Promise<string[]> {
  const old = await db.deleteFrom('topic_rules').where('topic_id', '=', topicId).returning('pattern').execute();
  if (rules.length > 0) {
    await db
      .insertInto('topic_rules')
      .values(rules.map((r) => ({ topic_id: topicId, pattern: r.pattern, weight: r.weight })))
      .execute();
  }
  return old.map((r) => r.pattern);
}

/** Ids of the papers tagged with this topic. */
export async function findPaperIdsOfTopic(db: Db, topicId: number): Promise<number[]> {
  const rows = await db.selectFrom('paper_topics').select('paper_id').where('topic_id', '=', topicId).execute();
  return rows.map((r) => r.paper_id);
}

/** The scope of a topic: itself and, for an area, its children. */
const topicScope = (topicId: number) =>
  sql`(select t.id from topics t where t.id = ${topicId} or t.parent_id = ${topicId})`;

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
     and p.id in (select pt.paper_id from paper_topics pt where pt.topic_id in ${topicScope(topicId)})
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
      where mine.topic_id in (select t.id from topics t where t.id = s.id or t.parent_id = s.id)
        and other.topic_id not in (select t.id from topics t where t.id = s.id or t.parent_id = s.id)
      group by other.topic_id order by count(distinct other.paper_id) desc, other.topic_id limit ${limit}) r`.execute(
    db,
  );
  return result.rows;
}
