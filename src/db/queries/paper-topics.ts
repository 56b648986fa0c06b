import { sql } from 'kysely';
import type { Db } from '../database.ts';

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
    insert into paper_topics (paper_id, topic_id, score)
    select * from unnest(${rows.map((r) => r.paper_id)}::int[], ${rows.map((r) => r.topic_id)}::int[], ${rows.map((r) => r.score)}::real[])
      as u(paper_id, topic_id, score)
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
  await db
    .insertInto('paper_topics')
    .values(topics.map((t) => ({ paper_id: paperId, topic_id: t.topic_id, score: t.score, source: 'manual' })))
    .execute();
}

/** Gives a paper back to the tagger: drops its manual topics. */
export async function clearManualTopics(db: Db, paperId: number): Promise<void> {
  await db.deleteFrom('paper_topics').where('paper_id', '=', paperId).where('source', '=', 'manual').execute();
}
