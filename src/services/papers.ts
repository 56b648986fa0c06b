// Writes to papers: every field checked and normalized by the value rules (paper-values.ts),
// then written by the importer's own merge, author and tagging steps, as one catalogue write.

import type { Db } from '../db/database.ts';
import { replacePaperAuthors } from '../db/queries/authors.ts';
import { upsertOrganizations } from '../db/queries/organizations.ts';
import {
  findMergeablePaper,
  findPapersToMerge,
  type ImportedPaper,
  type MergeablePaper,
  titleKeys,
  updatePapers,
} from '../db/queries/paper-imports.ts';
import { addVote, removeVote } from '../db/queries/paper-votes.ts';
import {
  deletePaper as deletePaperRow,
  findPaperLongTexts,
  findPapersByIds,
  type ListedPaper,
  type PaperTexts,
} from '../db/queries/papers.ts';
import { findTopicSlugsWithAreas, findTopicsOfPapers, type PaperTopicRow } from '../db/queries/topics.ts';
import { inTransaction, inWriteTransaction } from '../db/transaction.ts';
import { type FieldIssue, NotFoundError, PaperConflictError, ValidationError } from '../errors.ts';
import type { PaperRecord } from '../import/record.ts';
import { upsertPaperRecords } from '../import/upsert.ts';
import {
  cleanArxivId,
  cleanAuthorNames,
  cleanDate,
  cleanGithubRepo,
  cleanKeywords,
  cleanOptional,
  cleanText,
  cleanTitle,
  cleanUrl,
  LIST_LIMITS,
  ValueProblem,
} from '../paper-values.ts';
import { loadTagger, tagPaperTexts } from '../topics/tag-papers.ts';

/**
 * A paper as a write left it, read back inside the write's transaction: the mutation answers
 * from it and announces the paper with it, so that nothing after the commit needs the database
 * (a failure there would tell the client that a committed write failed).
 */
export interface WrittenPaper {
  paper: ListedPaper;
  texts: PaperTexts;
  /** Its topics, best first. */
  topics: PaperTopicRow[];
  /** The slugs of its topics and of their areas (what subscriptions filter on). */
  topicSlugs: string[];
}

/** Reads a paper back inside the transaction that wrote it; NotFoundError when there is none. */
export async function readWrittenPaper(trx: Db, id: number): Promise<WrittenPaper> {
  const [paper] = await findPapersByIds(trx, [id]);
  if (!paper) throw new NotFoundError('No paper has this id.');
  const [texts] = await findPaperLongTexts(trx, [id]);
  const topics = await findTopicsOfPapers(trx, [id]);
  const [topicSlugs] = await findTopicSlugsWithAreas(trx, [id]);
  return {
    paper,
    texts: texts ?? { id, abstract: '', ai_summary: null, keywords: [] },
    topics,
    topicSlugs: topicSlugs ?? [],
  };
}

/** The fields a client may set on a paper; undefined leaves a field as it is, null clears it. */
export interface PaperFields {
  arxivId?: string | null | undefined;
  title?: string | null | undefined;
  abstract?: string | null | undefined;
  authors?: readonly string[] | null | undefined;
  authorsCount?: number | null | undefined;
  publishedAt?: string | null | undefined;
  featuredOn?: string | null | undefined;
  organization?: string | null | undefined;
  githubUrl?: string | null | undefined;
  projectUrl?: string | null | undefined;
  keywords?: readonly string[] | null | undefined;
}

/** The fields once checked: each undefined (leave), null (clear) or its normalized value. */
interface CleanFields {
  arxivId: string | null | undefined;
  title: string | undefined;
  abstract: string | null | undefined;
  authors: string[] | null | undefined;
  authorsCount: number | null | undefined;
  publishedAt: string | null | undefined;
  featuredOn: string | null | undefined;
  organization: string | null | undefined;
  githubUrl: string | null | undefined;
  projectUrl: string | null | undefined;
  keywords: string[] | null | undefined;
}

/** Every field checked at once, so that a client can fix them all in one go; throws ValidationError. */
function cleanFields(fields: PaperFields, creating: boolean): CleanFields {
  const issues: FieldIssue[] = [];
  const check = <T>(field: string, clean: () => T): T | undefined => {
    try {
      return clean();
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      issues.push({ field: `input.${field}`, message: error.message });
      return undefined;
    }
  };
  const title =
    fields.title === undefined && !creating ? undefined : check('title', () => cleanTitle(fields.title ?? ''));
  const authors = check('authors', () => cleanOptional(fields.authors, cleanAuthorNames));
  const authorsCount = fields.authorsCount;
  if (authorsCount != null) {
    if (authorsCount < 1 || authorsCount > LIST_LIMITS.authors) {
      issues.push({ field: 'input.authorsCount', message: `must be between 1 and ${LIST_LIMITS.authors}` });
    } else if (authors && authors.length > 0 && authors.length !== authorsCount) {
      issues.push({
        field: 'input.authorsCount',
        message: `is ${authorsCount} but ${authors.length} authors are listed`,
      });
    }
  }
  const organization = check('organization', () =>
    cleanOptional(fields.organization, (v) => {
      const name = cleanText(v, 'organizationName');
      if (name === '') throw new ValueProblem('must not be empty');
      return name;
    }),
  );
  const clean: CleanFields = {
    arxivId: check('arxivId', () => cleanOptional(fields.arxivId, cleanArxivId)),
    title,
    abstract: check('abstract', () => cleanOptional(fields.abstract, (v) => cleanText(v, 'abstract'))),
    authors,
    authorsCount,
    publishedAt: check('publishedAt', () => cleanOptional(fields.publishedAt, cleanDate)),
    featuredOn: check('featuredOn', () => cleanOptional(fields.featuredOn, cleanDate)),
    organization,
    githubUrl: check('githubUrl', () => cleanOptional(fields.githubUrl, cleanGithubRepo)),
    projectUrl: check('projectUrl', () => cleanOptional(fields.projectUrl, cleanUrl)),
    keywords: check('keywords', () => cleanOptional(fields.keywords, cleanKeywords)),
  };
  if (issues.length > 0) throw new ValidationError(issues);
  return clean;
}

/**
 * The stored paper that a paper with this arXiv id and title would be, by the importer's
 * rule: the same arXiv id, or the same title where either has no arXiv id.
 */
async function findSamePaper(
  db: Db,
  arxivId: string | null | undefined,
  title: string | undefined,
  selfId?: number,
): Promise<PaperConflictError | undefined> {
  const keys = title ? await titleKeys(db, [title]) : [];
  const existing = await findPapersToMerge(db, arxivId ? [arxivId] : [], keys);
  const others = existing.filter((p) => p.id !== selfId);
  const sameId = arxivId ? others.find((p) => p.arxiv_id === arxivId) : undefined;
  if (sameId) {
    return new PaperConflictError(sameId.id, 'input.arxivId', `A paper with the arXiv id ${arxivId} exists already.`);
  }
  const sameTitle = others.find((p: MergeablePaper) => p.title_key === keys[0] && (!arxivId || !p.arxiv_id));
  if (sameTitle) return new PaperConflictError(sameTitle.id, 'input.title', 'A paper with this title exists already.');
  return undefined;
}

/**
 * Creates a paper, tagged like an imported one; returns its id. Throws ValidationError listing
 * every bad field, or PaperConflictError naming the paper that exists already. Concurrent
 * creations of one paper queue on the writers' lock: the first creates it, the others find it.
 */
export async function createPaper(db: Db, fields: PaperFields): Promise<WrittenPaper> {
  const clean = cleanFields(fields, true);
  const authors = clean.authors && clean.authors.length > 0 ? clean.authors : null;
  const record: PaperRecord = {
    line: 0,
    arxivId: clean.arxivId ?? null,
    title: clean.title ?? '',
    abstract: clean.abstract ?? '',
    authorsCount: clean.authorsCount ?? authors?.length ?? null,
    publishedAt: clean.publishedAt ?? null,
    featuredOn: clean.featuredOn ?? null,
    upvotes: 0,
    organization: clean.organization ? { name: clean.organization, displayName: null } : null,
    githubUrl: clean.githubUrl ?? null,
    projectUrl: clean.projectUrl ?? null,
    authors: authors?.map((name) => ({ name, hidden: false })) ?? null,
    keywords: clean.keywords ?? null,
  };
  return inWriteTransaction(db, async (trx) => {
    const conflict = await findSamePaper(trx, record.arxivId, record.title);
    if (conflict) throw conflict;
    const { ids } = await upsertPaperRecords(trx, [record], await loadTagger(trx));
    const [id] = ids;
    if (id === undefined) throw new Error('the import path wrote no paper');
    return readWrittenPaper(trx, id);
  });
}

/** Changes the given fields of a paper; re-tags it when its text changed. */
export async function updatePaper(db: Db, id: number, fields: PaperFields): Promise<WrittenPaper> {
  const clean = cleanFields(fields, false);
  return inWriteTransaction(db, async (trx) => {
    const current = await findMergeablePaper(trx, id);
    if (!current) throw new NotFoundError('No paper has this id.');
    const { id: _id, title_key: _key, has_authors: _has, ...stored } = current;
    const next: ImportedPaper = { ...stored };
    const set = <K extends keyof ImportedPaper>(key: K, value: ImportedPaper[K] | undefined) => {
      if (value !== undefined) next[key] = value;
    };
    set('arxiv_id', clean.arxivId);
    set('title', clean.title);
    set('abstract', clean.abstract === null ? '' : clean.abstract);
    set(
      'authors_count',
      clean.authorsCount === undefined
        ? clean.authors
          ? clean.authors.length || null
          : undefined
        : clean.authorsCount,
    );
    set('published_at', clean.publishedAt);
    set('featured_on', clean.featuredOn);
    set('github_url', clean.githubUrl);
    set('project_url', clean.projectUrl);
    set('keywords', clean.keywords === null ? [] : clean.keywords);
    if (next.arxiv_id !== stored.arxiv_id || next.title !== stored.title) {
      const conflict = await findSamePaper(trx, next.arxiv_id, next.title, id);
      if (conflict) throw conflict;
    }
    if (clean.organization !== undefined) {
      next.organization_id = clean.organization
        ? ((await upsertOrganizations(trx, [{ name: clean.organization, displayName: null }])).get(
            clean.organization,
          ) ?? null)
        : null;
    }
    await updatePapers(trx, [{ ...next, id }]);
    if (clean.authors !== undefined) {
      await replacePaperAuthors(trx, [
        { paperId: id, names: (clean.authors ?? []).map((name) => ({ name, hidden: false })) },
      ]);
    }
    const textChanged =
      next.title !== stored.title ||
      next.abstract !== stored.abstract ||
      next.keywords.join('\n') !== stored.keywords.join('\n');
    if (textChanged) await tagPaperTexts(trx, await loadTagger(trx), [{ id, ...next }]);
    return readWrittenPaper(trx, id);
  });
}

/** Deletes a paper with its topics, author list and votes; NotFoundError when there is none. */
export async function deletePaper(db: Db, id: number): Promise<void> {
  const deleted = await inWriteTransaction(db, (trx) => deletePaperRow(trx, id));
  if (!deleted) throw new NotFoundError('No paper has this id.');
}

/**
 * Adds (or takes back) this key's vote for a paper. `changed` is false when the key had already
 * voted (or had not). Votes do not take the writers' lock: each is one atomic statement, read
 * back in the same transaction.
 */
export async function vote(
  db: Db,
  paperId: number,
  keyId: number,
  direction: 'up' | 'remove',
): Promise<{ changed: boolean; written: WrittenPaper }> {
  return inTransaction(db, async (trx) => {
    const upvotes = await (direction === 'up' ? addVote : removeVote)(trx, paperId, keyId);
    return { changed: upvotes !== undefined, written: await readWrittenPaper(trx, paperId) };
  });
}
