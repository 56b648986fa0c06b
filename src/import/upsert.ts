// The one way papers enter the database, whatever the input format: match each record to
// an existing paper (arXiv id first, then the normalized title), insert the new ones,
// update changed fields of the known ones, and re-tag what changed. The caller owns the
// transaction.
import type { Db } from '../db/database.ts';
import { upsertOrganizations } from '../db/queries/organizations.ts';
import {
  findPapersToMerge,
  insertPapers,
  type MergeablePaper,
  type NewPaper,
  titleKeys,
  updatePaper,
} from '../db/queries/papers.ts';
import type { Tagger } from '../topics/tagger.ts';
import { tagPapers } from '../topics/tagging.ts';
import type { PaperRecord } from './record.ts';

export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** The columns a record sets; null means "the record does not say", which never erases a value. */
function toColumns(record: PaperRecord, organizationId: number | null): NewPaper {
  return {
    arxiv_id: record.arxivId,
    title: record.title,
    abstract: record.abstract,
    authors_count: record.authorsCount,
    published_at: record.publishedAt,
    featured_on: record.featuredOn,
    upvotes: record.upvotes ?? 0,
    organization_id: organizationId,
    github_url: record.githubUrl,
    project_url: record.projectUrl,
  };
}

/** The values of `next` that differ from `current`; unknown (null) values and empty abstracts keep what is stored. */
function changes(current: MergeablePaper, next: NewPaper, upvotesKnown: boolean): Partial<NewPaper> {
  const out: Partial<NewPaper> = {};
  for (const key of Object.keys(next) as (keyof NewPaper)[]) {
    const value = next[key];
    if (value === null || value === undefined || value === current[key]) continue;
    if (key === 'upvotes' && !upvotesKnown) continue;
    if (key === 'abstract' && value === '') continue;
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

export async function upsertPaperRecords(
  db: Db,
  records: readonly PaperRecord[],
  tagger: Tagger,
): Promise<UpsertCounts> {
  const counts: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
  if (records.length === 0) return counts;
  const orgIds = await upsertOrganizations(
    db,
    records.flatMap((r) => (r.organization ? [r.organization] : [])),
  );
  const keys = await titleKeys(
    db,
    records.map((r) => r.title),
  );
  const existing = await findPapersToMerge(
    db,
    records.flatMap((r) => (r.arxivId ? [r.arxivId] : [])),
    keys,
  );
  const byArxiv = new Map(existing.filter((p) => p.arxiv_id).map((p) => [p.arxiv_id as string, p]));
  const byKey = new Map<string, MergeablePaper>();
  for (const p of existing) if (!byKey.has(p.title_key)) byKey.set(p.title_key, p);

  const toInsert: { key: string; paper: NewPaper }[] = [];
  const pending = new Map<string, NewPaper>(); // new papers of this batch, by arXiv id and by title key
  const retag = new Set<number>();
  const updates = new Map<number, Partial<NewPaper>>();
  records.forEach((record, i) => {
    const key = keys[i] as string;
    const columns = toColumns(record, record.organization ? (orgIds.get(record.organization.name) ?? null) : null);
    // A title match is the same paper only when the arXiv ids do not contradict it.
    const titleMatch = byKey.get(key);
    const match =
      (record.arxivId ? byArxiv.get(record.arxivId) : undefined) ??
      (titleMatch && (!record.arxivId || !titleMatch.arxiv_id) ? titleMatch : undefined);
    if (match) {
      const diff = changes(match, columns, record.upvotes !== null);
      if (Object.keys(diff).length === 0) {
        counts.unchanged++;
        return;
      }
      Object.assign(match, diff);
      if (diff.title !== undefined || diff.abstract !== undefined) retag.add(match.id);
      updates.set(match.id, { ...(updates.get(match.id) ?? {}), ...diff });
      counts.updated++;
      return;
    }
    const earlier = (record.arxivId && pending.get(`arxiv:${record.arxivId}`)) || pending.get(`key:${key}`);
    if (earlier) {
      // The same new paper twice in one batch: the later record refines the first.
      for (const [k, v] of Object.entries(columns)) if (v !== null) (earlier as Record<string, unknown>)[k] = v;
      counts.unchanged++;
      return;
    }
    pending.set(`key:${key}`, columns);
    if (record.arxivId) pending.set(`arxiv:${record.arxivId}`, columns);
    toInsert.push({ key, paper: columns });
  });

  for (const [id, diff] of updates) await updatePaper(db, id, diff);
  const ids = await insertPapers(
    db,
    toInsert.map((x) => x.paper),
  );
  counts.created += ids.length;
  for (const id of ids) retag.add(id);
  if (retag.size > 0) await tagPapers(db, tagger, [...retag]);
  return counts;
}
