import { type Kysely, sql } from 'kysely';

// TRENDING over all papers without sorting them all (see trendingBound in
// src/db/queries/papers.ts): the newest papers by the day the score ages from, and the papers
// with the most votes, each an index range. The expressions match TRENDING_SCORE exactly.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index papers_trending_day_idx
            on papers ((coalesce(featured_on, published_at, (created_at at time zone 'UTC')::date)) desc, id desc)`.execute(
    db,
  );
  await sql`create index papers_trending_votes_idx
            on papers (((upvotes + coalesce(github_stars, 0) / 100.0 + 1)::float8) desc)`.execute(db);
  // The planner knows how selective an indexed expression is only after ANALYZE has sampled
  // it; without that it guesses, and reads the whole table instead of the two ranges.
  await sql`analyze papers`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index papers_trending_votes_idx`.execute(db);
  await sql`drop index papers_trending_day_idx`.execute(db);
}
