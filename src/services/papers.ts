// Writes to papers that the mutations need beyond a single query: checks, then the same
// merge, author and tagging steps the importer uses. Callers run these in a transaction.
import type { Db } from '../db/database.ts';
import { replacePaperAuthors } from '../db/queries/authors.ts';
import { upsertOrganizations } from '../db/queries/organizations.ts';
import {
  findMergeablePaper,
  findPapersToMerge,
  type ImportedPaper,
  titleKeys,
  updatePapers,
} from '../db/queries/papers.ts';
import { type FieldIssue, NotFoundError, ValidationError } from '../errors.ts';
import { collapse } from '../import/daily-page.ts';
import { ARXIV_ID, type PaperRecord } from '../import/record.ts';
import { upsertPaperRecords } from '../import/upsert.ts';
import { loadTagger, tagPaperTexts } from '../topics/tagging.ts';

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

const cleanKeywords = (keywords: readonly string[]) => [...new Set(keywords.map(collapse).filter(Boolean))];

/** Every problem with the fields at once, so that a client can fix them in one go. */
function check(fields: PaperFields, creating: boolean): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field: `input.${field}`, message });
  const title = fields.title == null ? undefined : collapse(fields.title);
  if ((creating || fields.title !== undefined) && !title) add('title', 'must not be empty');
  if (title && title.length > 1000) add('title', 'must be at most 1000 characters');
  if (fields.abstract && fields.abstract.length > 20_000) add('abstract', 'must be at most 20000 characters');
  if (fields.arxivId != null && !ARXIV_ID.test(fields.arxivId.trim()))
    add('arxivId', 'is not an arXiv id such as 2406.02214');
  if (fields.authors) {
    if (fields.authors.length > 1000) add('authors', 'at most 1000 authors');
    if (fields.authors.some((a) => collapse(a) === '')) add('authors', 'names must not be empty');
  }
  if (fields.authorsCount != null) {
    if (fields.authorsCount < 1) add('authorsCount', 'must be at least 1');
    else if (fields.authors && fields.authors.length > 0 && fields.authors.length !== fields.authorsCount) {
      add('authorsCount', `is ${fields.authorsCount} but ${fields.authors.length} authors are listed`);
    }
  }
  if (fields.githubUrl != null && !/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/?$/.test(fields.githubUrl)) {
    add('githubUrl', 'must be a repository URL such as https://github.com/owner/repo');
  }
  if (fields.projectUrl != null && (!URL.canParse(fields.projectUrl) || !/^https?:/.test(fields.projectUrl))) {
    add('projectUrl', 'must be an http(s) URL');
  }
  if (fields.keywords && fields.keywords.length > 50) add('keywords', 'at most 50 keywords');
  if (fields.organization != null && collapse(fields.organization) === '') add('organization', 'must not be empty');
  return issues;
}

async function checkDuplicates(db: Db, fields: PaperFields, selfId?: number): Promise<FieldIssue[]> {
  const arxivId = fields.arxivId?.trim();
  const keys = fields.title ? await titleKeys(db, [fields.title]) : [];
  const existing = await findPapersToMerge(db, arxivId ? [arxivId] : [], keys);
  const issues: FieldIssue[] = [];
  for (const paper of existing) {
    if (paper.id === selfId) continue;
    if (arxivId && paper.arxiv_id === arxivId)
      issues.push({ field: 'input.arxivId', message: `paper ${paper.id} already has this arXiv id` });
    else if (keys[0] && paper.title_key === keys[0] && (!arxivId || !paper.arxiv_id)) {
      issues.push({ field: 'input.title', message: `paper ${paper.id} already has this title` });
    }
  }
  return issues;
}

/** Creates a paper, tagged like an imported one; throws ValidationError listing every problem. */
export async function createPaper(db: Db, fields: PaperFields): Promise<number> {
  const issues = check(fields, true);
  if (issues.length === 0) issues.push(...(await checkDuplicates(db, fields)));
  if (issues.length > 0) throw new ValidationError(issues);
  const authors = fields.authors?.map((name) => ({ name: collapse(name), hidden: false })) ?? null;
  const record: PaperRecord = {
    line: 0,
    arxivId: fields.arxivId?.trim() || null,
    title: collapse(fields.title ?? ''),
    abstract: collapse(fields.abstract ?? ''),
    authorsCount: fields.authorsCount ?? (authors && authors.length > 0 ? authors.length : null),
    publishedAt: fields.publishedAt ?? null,
    featuredOn: fields.featuredOn ?? null,
    upvotes: 0,
    organization: fields.organization ? { name: collapse(fields.organization), displayName: null } : null,
    githubUrl: fields.githubUrl ?? null,
    projectUrl: fields.projectUrl ?? null,
    authors: authors && authors.length > 0 ? authors : null,
    keywords: fields.keywords ? cleanKeywords(fields.keywords) : null,
  };
  await upsertPaperRecords(db, [record], await loadTagger(db));
  const [created] = await findPapersToMerge(
    db,
    record.arxivId ? [record.arxivId] : [],
    await titleKeys(db, [record.title]),
  );
  if (!created) throw new Error('the created paper was not found');
  return created.id;
}

/** Changes the given fields of a paper; re-tags it when its text changed. */
export async function updatePaper(db: Db, id: number, fields: PaperFields): Promise<void> {
  const issues = check(fields, false);
  if (issues.length > 0) throw new ValidationError(issues);
  const current = await findMergeablePaper(db, id);
  if (!current) throw new NotFoundError(`No paper has this id.`);
  const duplicates = await checkDuplicates(db, fields, id);
  if (duplicates.length > 0) throw new ValidationError(duplicates);
  const { id: _id, title_key: _key, has_authors: _has, ...stored } = current;
  const next: ImportedPaper = { ...stored };
  const set = <K extends keyof ImportedPaper>(key: K, value: ImportedPaper[K] | undefined) => {
    if (value !== undefined) next[key] = value;
  };
  set('arxiv_id', fields.arxivId === undefined ? undefined : fields.arxivId?.trim() || null);
  set('title', fields.title == null ? undefined : collapse(fields.title));
  set('abstract', fields.abstract === undefined ? undefined : collapse(fields.abstract ?? ''));
  set(
    'authors_count',
    fields.authorsCount === undefined
      ? fields.authors
        ? fields.authors.length || null
        : undefined
      : fields.authorsCount,
  );
  set('published_at', fields.publishedAt);
  set('featured_on', fields.featuredOn);
  set('github_url', fields.githubUrl);
  set('project_url', fields.projectUrl);
  set('keywords', fields.keywords === undefined ? undefined : cleanKeywords(fields.keywords ?? []));
  if (fields.organization !== undefined) {
    const name = fields.organization ? collapse(fields.organization) : null;
    next.organization_id = name
      ? ((await upsertOrganizations(db, [{ name, displayName: null }])).get(name) ?? null)
      : null;
  }
  await updatePapers(db, [{ ...next, id }]);
  if (fields.authors !== undefined) {
    await replacePaperAuthors(db, [
      { paperId: id, names: (fields.authors ?? []).map((name) => ({ name: collapse(name), hidden: false })) },
    ]);
  }
  const textChanged =
    next.title !== stored.title ||
    next.abstract !== stored.abstract ||
    next.keywords.join('\n') !== stored.keywords.join('\n');
  if (textChanged) await tagPaperTexts(db, await loadTagger(db), [{ id, ...next }]);
}
