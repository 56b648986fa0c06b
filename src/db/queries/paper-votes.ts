import { sql } from 'kysely';
import type { Db } from '../database.ts';

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
