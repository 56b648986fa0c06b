// The two rules of the topic tree, written once (Kysely's reusable-helpers recipe): topics form
// two levels, areas and their topics; papers are tagged with topics that have no children (the
// leaves, and an area nobody subdivided), and an area stands for the papers of all its topics.
import { type Expression, type RawBuilder, sql } from 'kysely';
import type { Db } from '../database.ts';
import type { TopicRow } from '../types.ts';

/** The ids of these topics and of their children: the topics whose papers they stand for. */
export function topicAndChildren(topicIds: Expression<number[]>): RawBuilder<number> {
  return sql<number>`(select t.id from topics t where t.id = any(${topicIds}) or t.parent_id = any(${topicIds}))`;
}

/** True when the topic has no children: papers are tagged with it directly. */
export function isLeafTopic(topicId: Expression<number>): RawBuilder<boolean> {
  return sql<boolean>`not exists (select 1 from topics c where c.parent_id = ${topicId})`;
}

/** The topics papers can be tagged with (those without children), in taxonomy order. */
export function findLeafTopics(db: Db): Promise<TopicRow[]> {
  return db
    .selectFrom('topics as t')
    .selectAll('t')
    .where(isLeafTopic(sql.ref('t.id')))
    .orderBy('t.position')
    .orderBy('t.id')
    .execute();
}
