import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { type ListedPaper, PAPER_COLUMNS } from './papers.ts';

const CANDIDATES_PER_SIDE = sql.lit(100);

/**
 * For each paper, the papers most like it, best first, itself excluded: sharing topics (twice
 * the products of the two papers' topic scores, summed) and words (the paper's title words, any
 * of them, ranked in the other's text, normalized below 1). One statement for all the papers.
 */
export async function findSimilarPapers(
  db: Db,
  paperIds: readonly number[],
  limit: number,
): Promise<(ListedPaper & { source_id: number })[]> {
  // Candidates come from the paper's own topics, read off paper_topics_topic_newest_idx: in each
  // topic, the CANDIDATES_PER_SIDE papers published just before it and just after it. That
  // bounds the work (at most 4 topics × 2 × 100 rows) however large the topics grow, and
  // prefers papers of the same period. Candidates are scored by shared topics (weighing twice)
  // plus the title's words in their text (rank normalized into [0, 1), flag 32).
  const result = await sql<ListedPaper & { source_id: number }>`
    select s.id as source_id, ${sql.join(PAPER_COLUMNS.map((c) => sql.ref(c)))}
    from unnest(${[...paperIds]}::int[]) as s(id)
    cross join lateral (
      with src as (
        select src.id, coalesce(src.published_at, '-infinity'::date) as k,
          nullif(replace(plainto_tsquery('english', src.title)::text, '&', '|'), '')::tsquery as q
        from papers src where src.id = s.id),
      mine as (select topic_id, score from paper_topics where paper_id = s.id),
      candidates as (
        select distinct c.paper_id as id
        from mine cross join src cross join lateral (
          (select pt.paper_id from paper_topics pt
           where pt.topic_id = mine.topic_id and (pt.published_key, pt.paper_id) < (src.k, src.id)
           order by pt.published_key desc, pt.paper_id desc limit ${CANDIDATES_PER_SIDE})
          union all
          (select pt.paper_id from paper_topics pt
           where pt.topic_id = mine.topic_id and (pt.published_key, pt.paper_id) > (src.k, src.id)
           order by pt.published_key, pt.paper_id limit ${CANDIDATES_PER_SIDE})) c)
      select c.id,
        2 * (select coalesce(sum(m.score * b.score), 0) from paper_topics b join mine m on m.topic_id = b.topic_id
             where b.paper_id = c.id)
          + coalesce(ts_rank_cd(p.search, src.q, 32), 0) as score
      from candidates c join papers p on p.id = c.id cross join src
      order by score desc, c.id
      limit ${limit}) r
    join papers p on p.id = r.id
    order by s.id, r.score desc, r.id`.execute(db);
  return result.rows;
}
