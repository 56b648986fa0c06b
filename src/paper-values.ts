// What a valid value of the catalogue is: text limits, arXiv ids, dates, links. One rule per
// field, used by every path that takes one in: the importers, the sync, the write services, the
// API's arguments and the command line. Plain functions: no database, no GraphQL.

/** A value that breaks one of the rules below; the message completes "<field> …". */
export class ValueProblem extends Error {
  override name = 'ValueProblem';
}

/**
 * The longest text of each kind, in UTF-8 bytes. Limits that an index needs are in bytes
 * (a B-tree entry holds at most about 2,700 bytes: titles, names, slugs and keys are indexed),
 * and so, for one rule everywhere, are the others. They sit far above what real papers carry
 * (arXiv caps an abstract at 1,920 characters; the longest of 7,876 Daily Papers titles is 175
 * bytes), so they only stop junk and abuse.
 */
export const TEXT_LIMITS = {
  title: 1_000,
  abstract: 10_000,
  aiSummary: 4_000,
  authorName: 300,
  organizationName: 100,
  organizationDisplayName: 300,
  keyword: 200,
  url: 2_000,
  topicSlug: 100,
  topicName: 200,
  topicDescription: 2_000,
  rulePattern: 500,
  keyName: 200,
  searchQuery: 500,
  /** Any other text argument of a query (a name or slug to look up, an id): longer ones match nothing. */
  lookup: 1_000,
} as const;

export type TextKind = keyof typeof TEXT_LIMITS;

/** How many items a list may hold. */
export const LIST_LIMITS = {
  /** Author names of one paper (the longest real list has 664; physics papers reach about 3,000). */
  authors: 5_000,
  keywords: 50,
  /** Topics of one paper, set by hand or by the tagger. */
  topicsPerPaper: 4,
  rulesPerTopic: 100,
} as const;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Why this text may not be stored or looked up, or undefined when it may: it holds the NUL
 * character (PostgreSQL's text cannot), or it is longer than the limit of its kind.
 */
export function textProblem(text: string, kind: TextKind): string | undefined {
  if (text.includes('\0')) return 'must not contain the NUL character (U+0000)';
  const size = bytes(text);
  const limit = TEXT_LIMITS[kind];
  if (size > limit)
    return `is ${size.toLocaleString('en')} bytes long (UTF-8); the limit is ${limit.toLocaleString('en')}`;
  return undefined;
}

/** Whitespace runs (line breaks of wrapped text included) to one space, trimmed. */
export function collapseText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The text collapsed and checked; throws ValueProblem. Empty text is allowed (callers decide). */
export function cleanText(text: string, kind: TextKind): string {
  const collapsed = collapseText(text);
  const problem = textProblem(collapsed, kind);
  if (problem) throw new ValueProblem(problem);
  return collapsed;
}

/** A title: non-empty once collapsed, within its limit. */
export function cleanTitle(text: string): string {
  const title = cleanText(text, 'title');
  if (title === '') throw new ValueProblem('must not be empty');
  return title;
}

/** Keywords collapsed, checked, de-duplicated and without empties, in order; at most LIST_LIMITS.keywords. */
export function cleanKeywords(keywords: readonly string[]): string[] {
  const cleaned = [...new Set(keywords.map((k) => cleanText(k, 'keyword')).filter(Boolean))];
  if (cleaned.length > LIST_LIMITS.keywords)
    throw new ValueProblem(`must hold at most ${LIST_LIMITS.keywords} keywords`);
  return cleaned;
}

/** Author names collapsed and checked, in order; none may be empty. */
export function cleanAuthorNames(names: readonly string[]): string[] {
  if (names.length > LIST_LIMITS.authors) throw new ValueProblem(`must hold at most ${LIST_LIMITS.authors} names`);
  return names.map((name, i) => {
    const cleaned = cleanText(name, 'authorName');
    if (cleaned === '') throw new ValueProblem(`has an empty name at position ${i + 1}`);
    return cleaned;
  });
}

/** An arXiv identifier without version: new style (2406.02214) or old style (hep-th/9901001). */
const ARXIV_ID = /^(\d{4}\.\d{4,5}|[a-z][a-z.-]{0,30}\/\d{7})$/i;

/**
 * An arXiv id as papers are keyed: trimmed, without an `arXiv:` prefix or a version suffix
 * (`2406.02214v2` is `2406.02214`: the versions of a paper are one paper).
 */
export function normalizeArxivId(id: string): string {
  return id
    .trim()
    .replace(/^arxiv:/i, '')
    .replace(/v\d+$/i, '');
}

/** The normalized arXiv id; throws ValueProblem when it is not one. */
export function cleanArxivId(id: string): string {
  const normalized = normalizeArxivId(id);
  if (!ARXIV_ID.test(normalized)) throw new ValueProblem('is not an arXiv id such as 2406.02214');
  return normalized;
}

/** The calendar days papergraph stores: those PostgreSQL and ISO 8601 share (no year 0). */
export const DATE_RANGE = { min: '0001-01-01', max: '9999-12-31' } as const;

/** Whether text is a real calendar day as YYYY-MM-DD (year 0000 included: it is valid ISO 8601). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A calendar day within DATE_RANGE, as YYYY-MM-DD; throws ValueProblem. */
export function cleanDate(text: string): string {
  if (!isCalendarDate(text))
    throw new ValueProblem(`must be a date as YYYY-MM-DD, got ${JSON.stringify(text.slice(0, 40))}`);
  if (text < DATE_RANGE.min) throw new ValueProblem(`must be between ${DATE_RANGE.min} and ${DATE_RANGE.max}`);
  return text;
}

/** A month as YYYY-MM within DATE_RANGE; throws ValueProblem. */
export function cleanMonth(text: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(text) || text < DATE_RANGE.min.slice(0, 7)) {
    throw new ValueProblem(`must be a month as YYYY-MM from 0001-01, got ${JSON.stringify(text.slice(0, 20))}`);
  }
  return text;
}

/**
 * An http(s) link, parsed and written back by the WHATWG URL parser: what is stored has no
 * spaces, line breaks, quotes or angle brackets (they come back percent-encoded), and always
 * names a host. Throws ValueProblem.
 */
export function cleanUrl(text: string): string {
  const problem = textProblem(text, 'url');
  if (problem) throw new ValueProblem(problem);
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ValueProblem('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValueProblem('must be an http(s) URL');
  if (url.hostname === '') throw new ValueProblem('must name a host');
  if (url.username || url.password) throw new ValueProblem('must not hold a user name or password');
  const href = url.href;
  const size = bytes(href);
  if (size > TEXT_LIMITS.url)
    throw new ValueProblem(`is ${size} bytes long once normalized; the limit is ${TEXT_LIMITS.url}`);
  return href;
}

// GitHub's own rules: an owner is 1 to 39 letters, digits or hyphens, not starting with a
// hyphen; a repository 1 to 100 letters, digits, dots, hyphens or underscores, not "." or "..".
const GITHUB_OWNER = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/;
const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * A GitHub repository as `https://github.com/owner/repo`, from any link into it (a `.git`
 * suffix, a trailing path such as `/tree/main`, `www.`, http). Throws ValueProblem.
 */
export function cleanGithubRepo(text: string): string {
  const url = new URL(cleanUrl(text));
  if (url.hostname !== 'github.com' && url.hostname !== 'www.github.com') {
    throw new ValueProblem('must be a GitHub repository URL such as https://github.com/owner/repo');
  }
  // Still percent-encoded: an encoded character fails the name rules below, as it should.
  const [owner = '', rawRepo = ''] = url.pathname.split('/').filter(Boolean);
  const repo = rawRepo.replace(/\.git$/, '');
  if (!GITHUB_OWNER.test(owner) || !GITHUB_REPO.test(repo) || repo === '.' || repo === '..') {
    throw new ValueProblem('must name a repository, as https://github.com/owner/repo');
  }
  return `https://github.com/${owner}/${repo}`;
}

/**
 * Runs a cleaner on an optional value: undefined stays undefined (not given), null stays null
 * (cleared). The shape every optional input field has.
 */
export function cleanOptional<V, T>(value: V | null | undefined, clean: (value: V) => T): T | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  return clean(value);
}
