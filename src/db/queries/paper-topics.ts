import { sql } from 'kysely';
import type { Db } from '../database.ts';

export interface PaperTopicInput {
  paper_id: number;
  topic_id: number;
  score: number;
}

/** Replaces the topics of these papers with the given ones (papers absent from rows end with none). */
export async function replacePaperTopics(
  db: Db,
  paperIds: readonly number[],
  rows: readonly PaperTopicInput[],
): Promise<void> {
  if (paperIds.length === 0) return;
  await db
    .deleteFrom('paper_topics')
    .where('paper_id', '=', sql<number>`any(${[...paperIds]}::int[])`)
    .execute();
  if (rows.length === 0) return;
  await sql`
    insert into paper_topics (paper_id, topic_id, score)
    select * from unnest(${rows.map((r) => r.paper_id)}::int[], ${rows.map((r) => r.topic_id)}::int[], ${rows.map((r) => r.score)}::real[])`.execute(
    db,
  );
}
