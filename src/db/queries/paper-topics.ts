import { sql } from 'kysely';
import type { Db } from '../database.ts';

// Each row carries its paper's sort key for "newest papers of a topic" (see migration
// 040000); a trigger on papers keeps it in step when the date changes.
const PUBLISHED_KEY = sql`coalesce(p.published_at, '-infinity'::date)`;

export interface PaperTopicInput {
  paper_id: number;
  topic_id: number;
  score: number;
}

/**
 * Replaces the tagger's topics of these papers with the given ones. Papers whose topics were
 * set by hand keep them: manual topics win over the tagger's.
 */
export async function replacePaperTopics(
  db: Db,
  paperIds: readonly number[],
  rows: readonly PaperTopicInput[],
): Promise<void> {
  if (paperIds.length === 0) return;
  await db
    .deleteFrom('paper_topics')
    .where('paper_id', '=', sql<number>`any(${[...paperIds]}::int[])`)
    .where('source', '=', 'tagger')
    .execute();
  if (rows.length === 0) return;
  await sql`
    insert into paper_topics (paper_id, topic_id, score, published_key)
    select u.paper_id, u.topic_id, u.score, ${PUBLISHED_KEY}
    from unnest(${rows.map((r) => r.paper_id)}::int[], ${rows.map((r) => r.topic_id)}::int[], ${rows.map((r) => r.score)}::real[])
      as u(paper_id, topic_id, score)
    join papers p on p.id = u.paper_id
    where not exists (select 1 from paper_topics m where m.paper_id = u.paper_id and m.source = 'manual')`.execute(db);
}

/** Sets a paper's topics by hand: they replace all its topics and the tagger leaves them alone. */
export async function setManualTopics(
  db: Db,
  paperId: number,
  topics: readonly { topic_id: number; score: number }[],
): Promise<void> {
  await db.deleteFrom('paper_topics').where('paper_id', '=', paperId).execute();
  if (topics.length === 0) return;
  await sql`
    insert into paper_topics (paper_id, topic_id, score, source, published_key)
    select p.id, u.topic_id, u.score, 'manual', ${PUBLISHED_KEY}
    from unnest(${topics.map((t) => t.topic_id)}::int[], ${topics.map((t) => t.score)}::real[]) as u(topic_id, score)
    join papers p on p.id = ${paperId}::int`.execute(db);
}

/** Gives a paper back to the tagger: drops its manual topics. */
export async function clearManualTopics(db: Db, paperId: number): Promise<void> {
  await db.deleteFrom('paper_topics').where('paper_id', '=', paperId).where('source', '=', 'manual').execute();
}
