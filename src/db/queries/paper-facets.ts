// Facets: counts over a whole filtered list of papers (not a page), by topic, organization and
// year, for many lists at once.
import { type Compilable, type RawBuilder, sql } from 'kysely';
import { groupBy } from '../../util/group-by.ts';
import type { Db } from '../database.ts';
import { applyFilter, applyScope, type PaperFilter, type PaperScope } from './paper-lists.ts';
import { type PaperQuery, papersQuery } from './papers.ts';
import { topicAndChildren } from './topic-tree.ts';

export interface Facets {
  topics: { topic_id: number; count: number }[];
  organizations: { organization_id: number; count: number }[];
  years: { year: number; count: number }[];
  /** 1 when counted exactly; k when counted on a 1-in-k sample of paper ids and multiplied by k. */
  sampleEvery: number;
}

/** Above about this many papers in a topic, its facets are estimated from a sample this big. */
export const FACET_SAMPLE_SIZE = 10_000;

/**
 * For each parent, counts over its whole filtered list (not a page), by topic, organization
 * and publication year, biggest first (years newest first), at most `limit` of each; in key
 * order. One statement per facet kind for all parents (and one for the topics' sizes).
 *
 * In a topic with more than `sampleSize` papers (by its kept counts, children included) the
 * counts are estimates: taken on the papers whose hashed id is a multiple of k (a 1-in-k
 * pseudo-random sample, k chosen so that about `sampleSize` remain), and multiplied by k.
 * Exact counts there read every paper of the topic (seconds at a million papers); the sample
 * reads the topic's index entries and about `sampleSize` papers.
 */
export async function countFacets(
  db: Db,
  scope: PaperScope,
  parentIds: readonly (number | null)[],
  filter: PaperFilter,
  limit: number,
  sampleSize = FACET_SAMPLE_SIZE,
): Promise<Facets[]> {
  // Scope 'all' has one list; it goes through the same statements as a parent with id 0.
  const ids = scope === 'all' ? [0] : [...new Set(parentIds.filter((id): id is number => id !== null))];
  const every = new Map(ids.map((id) => [id, 1]));
  if (ids.length === 0) return parentIds.map(() => ({ topics: [], organizations: [], years: [], sampleEvery: 1 }));
  if (scope === 'topic') {
    const { rows } = await sql<{ id: number; n: number }>`
      select s.id, coalesce(sum(t.paper_count), 0)::int as n from unnest(${ids}::int[]) as s(id)
      left join topics t on t.id in ${topicAndChildren(sql<number[]>`array[s.id]`)}
      group by s.id`.execute(db);
    for (const row of rows) if (row.n > sampleSize) every.set(row.id, Math.ceil(row.n / sampleSize));
  }
  // One statement per facet kind: each parent's count is a part of a UNION ALL with its id and
  // sample size as constants, so each part is planned like a statement of its own (a LATERAL
  // over the parents read every paper_topics row instead of an index range).
  const perParent = async <T>(facetOf: (list: PaperQuery, scaled: RawBuilder<number>) => Compilable<T>) => {
    const parts = ids.map((id) => {
      const k = every.get(id) ?? 1;
      const list = applyFilter(
        applyScope(papersQuery(db), scope, sql<number>`${id}::int`, k > 1 ? sql.lit(k) : undefined),
        filter,
      );
      return sql`(select ${sql.lit(id)}::int as parent_id, f.* from (${facetOf(list, sql<number>`(count(*) * ${sql.lit(k)})::int`)}) f)`;
    });
    return (await sql<T & { parent_id: number }>`${sql.join(parts, sql` union all `)}`.execute(db)).rows;
  };
  const [topics, organizations, years] = await Promise.all([
    perParent((list, scaled) =>
      db
        .selectFrom('paper_topics as pt')
        .select(['pt.topic_id', scaled.as('count')])
        .where('pt.paper_id', 'in', list.select('p.id'))
        .groupBy('pt.topic_id')
        .orderBy('count', 'desc')
        .orderBy('pt.topic_id')
        .limit(limit),
    ),
    perParent((list, scaled) =>
      list
        .where('p.organization_id', 'is not', null)
        .select([sql<number>`p.organization_id`.as('organization_id'), scaled.as('count')])
        .groupBy('p.organization_id')
        .orderBy('count', 'desc')
        .orderBy('p.organization_id')
        .limit(limit),
    ),
    perParent((list, scaled) =>
      list
        .where('p.published_at', 'is not', null)
        .select([sql<number>`extract(year from p.published_at)::int`.as('year'), scaled.as('count')])
        .groupBy(sql`extract(year from p.published_at)::int`)
        .orderBy('year', 'desc')
        .limit(limit),
    ),
  ]);
  const strip = <T extends { parent_id: number }>({ parent_id: _p, ...rest }: T) => rest;
  const topicsOf = groupBy(topics, (r) => r.parent_id);
  const orgsOf = groupBy(organizations, (r) => r.parent_id);
  const yearsOf = groupBy(years, (r) => r.parent_id);
  return parentIds.map((parent) => {
    const id = scope === 'all' ? 0 : parent;
    if (id === null) return { topics: [], organizations: [], years: [], sampleEvery: 1 };
    return {
      topics: (topicsOf.get(id) ?? []).map(strip),
      organizations: (orgsOf.get(id) ?? []).map(strip),
      years: (yearsOf.get(id) ?? []).map(strip),
      sampleEvery: every.get(id) ?? 1,
    };
  });
}
