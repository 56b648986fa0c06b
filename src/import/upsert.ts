// The one way papers enter the database, whatever the input format: match each record to
// a stored paper (arXiv id first, then the normalized title), merge, and write the batch in a
// few set-based statements: insert the new papers, update the changed ones, replace changed
// author lists, re-tag what changed. The caller owns the transaction.
import type { Db } from '../db/database.ts';
import { replacePaperAuthors } from '../db/queries/authors.ts';
import { upsertOrganizations } from '../db/queries/organizations.ts';
import {
  findPapersToMerge,
  type ImportedPaper,
  insertPapers,
  type MergeablePaper,
  titleKeys,
  updatePapers,
} from '../db/queries/paper-imports.ts';
import { tagPaperTexts } from '../topics/tag-papers.ts';
import type { Tagger } from '../topics/tagger.ts';
import type { PaperRecord } from './record.ts';

export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface UpsertResult {
  counts: UpsertCounts;
  /** For each record, in input order, the id of the paper it went into. */
  ids: number[];
  /** The ids of the papers created, in order. */
  createdIds: number[];
  /** The ids of the stored papers whose upvotes this batch changed (for 'paper:upvoted' events). */
  upvoted: number[];
}

/** A paper of the batch: a stored one (with id) or a new one, and what must be written for it. */
interface Target {
  id?: number;
  paper: ImportedPaper;
  titleKey: string;
  changed: boolean;
  retag: boolean;
  hasAuthors: boolean;
  authors: PaperRecord['authors'];
  /** The upvotes as stored before this batch (stored papers only). */
  storedUpvotes?: number;
}

function newPaper(record: PaperRecord, organizationId: number | null): ImportedPaper {
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
    comments_count: record.commentsCount ?? 0,
    github_stars: record.githubStars ?? null,
    ai_summary: record.aiSummary ?? null,
    keywords: record.keywords ?? [],
    source_date: record.featuredOn,
  };
}

const max = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
const earliest = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a < b ? a : b);
const latest = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a > b ? a : b);

/**
 * What a paper becomes when a record of it arrives. A record at least as new as the newest one
 * merged so far (by its featured day; undated page text counts as the oldest) overrides the
 * stored values; an older one only fills what is missing. Either way, what a record does not
 * know (null, empty) never erases a value, counts that only grow on the site (upvotes, comments,
 * stars) keep the larger value, and featured_on keeps the first day. So importing the same
 * files again, or in another order, gives the same papers.
 */
function merge(current: ImportedPaper, record: PaperRecord, organizationId: number | null): ImportedPaper {
  const newer =
    current.source_date === null || (record.featuredOn !== null && record.featuredOn >= current.source_date);
  const pick = <T>(incoming: T | null, stored: T | null): T | null =>
    newer ? (incoming ?? stored) : (stored ?? incoming);
  const keywords = record.keywords && record.keywords.length > 0 ? record.keywords : null;
  return {
    arxiv_id: current.arxiv_id ?? record.arxivId,
    title: newer ? record.title : current.title,
    abstract: pick(record.abstract || null, current.abstract || null) ?? '',
    authors_count: pick(record.authorsCount, current.authors_count),
    published_at: pick(record.publishedAt, current.published_at),
    featured_on: earliest(current.featured_on, record.featuredOn),
    upvotes: max(current.upvotes, record.upvotes) ?? 0,
    organization_id: pick(organizationId, current.organization_id),
    github_url: pick(record.githubUrl, current.github_url),
    project_url: pick(record.projectUrl, current.project_url),
    comments_count: max(current.comments_count, record.commentsCount ?? null) ?? 0,
    github_stars: max(current.github_stars, record.githubStars ?? null),
    ai_summary: pick(record.aiSummary ?? null, current.ai_summary),
    keywords: pick(keywords, current.keywords.length > 0 ? current.keywords : null) ?? [],
    source_date: latest(current.source_date, record.featuredOn),
  };
}

const sameValue = (a: unknown, b: unknown) =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;

function differs(a: ImportedPaper, b: ImportedPaper): boolean {
  return (Object.keys(a) as (keyof ImportedPaper)[]).some((k) => !sameValue(a[k], b[k]));
}

function fromStored(p: MergeablePaper): Target {
  const { id, title_key, has_authors, ...paper } = p;
  return {
    id,
    paper,
    titleKey: title_key,
    changed: false,
    retag: false,
    hasAuthors: has_authors,
    authors: null,
    storedUpvotes: paper.upvotes,
  };
}

/**
 * Writes a batch of records: each matched to its stored paper and merged, or created. Returns
 * the counts and the paper ids the records went into. Run it in a catalogue write
 * (inWriteTransaction): matching reads, then writes, and must not race another writer.
 */
export async function upsertPaperRecords(
  db: Db,
  records: readonly PaperRecord[],
  tagger: Tagger,
): Promise<UpsertResult> {
  const counts: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
  if (records.length === 0) return { counts, ids: [], createdIds: [], upvoted: [] };
  const orgIds = await upsertOrganizations(
    db,
    records.flatMap((r) => (r.organization ? [r.organization] : [])),
  );
  const keys = await titleKeys(
    db,
    records.map((r) => r.title),
  );
  const stored = await findPapersToMerge(
    db,
    records.flatMap((r) => (r.arxivId ? [r.arxivId] : [])),
    keys,
  );
  const byArxiv = new Map<string, Target>();
  const byKey = new Map<string, Target>();
  const remember = (target: Target) => {
    if (target.paper.arxiv_id && !byArxiv.has(target.paper.arxiv_id)) byArxiv.set(target.paper.arxiv_id, target);
    if (!byKey.has(target.titleKey)) byKey.set(target.titleKey, target);
  };
  for (const p of stored) remember(fromStored(p));

  const created: Target[] = [];
  // The target of each record: its id is known now for stored papers, after the insert for new ones.
  const targets: Target[] = [];
  records.forEach((record, i) => {
    const key = keys[i] as string;
    const organizationId = record.organization ? (orgIds.get(record.organization.name) ?? null) : null;
    // A title match is the same paper only when the arXiv ids do not contradict it.
    const titleMatch = byKey.get(key);
    const target =
      (record.arxivId ? byArxiv.get(record.arxivId) : undefined) ??
      (titleMatch && (!record.arxivId || !titleMatch.paper.arxiv_id) ? titleMatch : undefined);
    if (!target) {
      const fresh: Target = {
        paper: newPaper(record, organizationId),
        titleKey: key,
        changed: true,
        retag: true,
        hasAuthors: false,
        authors: record.authors ?? null,
      };
      created.push(fresh);
      targets.push(fresh);
      remember(fresh);
      counts.created++;
      return;
    }
    targets.push(target);
    const next = merge(target.paper, record, organizationId);
    const authorsChanged =
      !!record.authors &&
      (!target.hasAuthors ||
        (next.authors_count === record.authors.length && record.authors.length !== target.paper.authors_count));
    if (!differs(target.paper, next) && !authorsChanged) {
      counts.unchanged++;
      return;
    }
    if (
      next.title !== target.paper.title ||
      next.abstract !== target.paper.abstract ||
      !sameValue(next.keywords, target.paper.keywords)
    ) {
      target.retag = true;
    }
    if (authorsChanged) {
      target.authors = record.authors ?? null;
      target.hasAuthors = true;
    }
    target.paper = next;
    target.changed = true;
    remember(target);
    counts.updated++;
  });

  const updated = [...new Set([...byArxiv.values(), ...byKey.values()])].filter((t) => t.id !== undefined && t.changed);
  await updatePapers(
    db,
    updated.map((t) => ({ ...t.paper, id: t.id as number })),
  );
  const ids = await insertPapers(
    db,
    created.map((t) => t.paper),
  );
  created.forEach((t, i) => {
    t.id = ids[i];
  });
  if (ids.length !== created.length) throw new Error(`inserted ${ids.length} papers for ${created.length} records`);
  const written = [...updated, ...created];
  await replacePaperAuthors(
    db,
    written.flatMap((t) => (t.authors && t.id !== undefined ? [{ paperId: t.id, names: t.authors }] : [])),
  );
  await tagPaperTexts(
    db,
    tagger,
    written.flatMap((t) => (t.retag && t.id !== undefined ? [{ id: t.id, ...t.paper }] : [])),
  );
  const idOf = (t: Target) => {
    if (t.id === undefined) throw new Error('a created paper got no id');
    return t.id;
  };
  return {
    counts,
    ids: targets.map(idOf),
    createdIds: created.map(idOf),
    upvoted: updated.filter((t) => t.paper.upvotes !== t.storedUpvotes).map(idOf),
  };
}
