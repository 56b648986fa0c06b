// The tagger's rules, stored per topic so that they change without a deploy.
import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { isLeafTopic } from './topic-tree.ts';
import { findTopicsBySlugs } from './topics.ts';

export interface TopicRuleRow {
  topic: string;
  pattern: string;
  weight: number;
}

/** The tagger's rules, with their topic's slug, for topics without children, in insertion order. */
export function findTopicRules(db: Db): Promise<TopicRuleRow[]> {
  return db
    .selectFrom('topic_rules as r')
    .innerJoin('topics as t', 't.id', 'r.topic_id')
    .select(['t.slug as topic', 'r.pattern', 'r.weight'])
    .where(isLeafTopic(sql.ref('t.id')))
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

/** A rule pattern that PostgreSQL's regular expressions refuse (SQLSTATE 2201B). */
export class InvalidPatternError extends Error {
  override name = 'InvalidPatternError';
}

/**
 * Ids of papers whose title or abstract matches any of these rule patterns (as the tagger
 * applies them: case-insensitive, on word boundaries). Throws InvalidPatternError for a
 * pattern PostgreSQL cannot compile.
 */
export async function findPaperIdsMatching(db: Db, patterns: readonly string[]): Promise<number[]> {
  if (patterns.length === 0) return [];
  const wrapped = patterns.map((p) => `\\y(?:${p})\\y`);
  try {
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
  } catch (error) {
    if ((error as { code?: unknown }).code === '2201B') throw new InvalidPatternError((error as Error).message);
    throw error;
  }
}
