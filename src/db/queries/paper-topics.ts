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
  for (let i = 0; i < rows.length; i += 5000) {
    await db
      .insertInto('paper_topics')
      .values(rows.slice(i, i + 5000))
      .execute();
  }
}
