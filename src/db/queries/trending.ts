// The trending score, as SQL expressions that the list engine sorts by and migration 050000's
// expression indexes match exactly (change one, change the other).
import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { papersQuery } from './papers.ts';

/**
 * The trending score: votes (GitHub stars count a hundredth of a vote) decayed by age, like
 * Hacker News: (upvotes + stars / 100 + 1) / (days since featured, else published, + 2)^1.5.
 * It changes with the day (current_date), so a cursor is valid for the day it was made.
 */
export const TRENDING_VOTES = sql<number>`(p.upvotes + coalesce(p.github_stars, 0) / 100.0 + 1)::float8`;
/** The day a paper's trending score ages from (a paper without dates: the day it was added, UTC). */
export const TRENDING_DAY = sql<string>`coalesce(p.featured_on, p.published_at, (p.created_at at time zone 'UTC')::date)`;
export const TRENDING_SCORE = sql<number>`(${TRENDING_VOTES}
  / power((greatest(current_date - ${TRENDING_DAY}, 0) + 2)::float8, 1.5))`;

/** The trending score of each paper today, in key order; 0 for a missing paper. */
export async function findTrendingScores(db: Db, ids: readonly number[]): Promise<number[]> {
  const rows = await papersQuery(db)
    .select(['p.id', TRENDING_SCORE.as('score')])
    .where('p.id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute();
  const scores = new Map(rows.map((r) => [r.id, r.score]));
  return ids.map((id) => scores.get(id) ?? 0);
}
