// Parser for the text of a Hugging Face "Daily Papers" page as a person copies it from the
// browser (the layout is described in docs/importing.md). Pure: text in, records
// and problems out; nothing here touches the database.
import { cleanGithubRepo, cleanUrl, collapseText, textProblem, ValueProblem } from '../paper-values.ts';
import type { ImportProblem, PaperRecord } from './record.ts';

const HEADER_LINES = new Set([
  'new',
  'Get trending papers in your email inbox!',
  'Subscribe',
  'Daily Papers',
  'byAK and the research community',
]);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LISTING_DAY = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}$/;
const AUTHORS = /^•\s*(\d+)\s+authors?$/;
const SEPARATOR = '·';
const DATE_LINE = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2}), (\d{4})(?: (\d+))?$/;
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'()[\]{}]+/gi;
/** Hosts whose links are neither code nor a project page (the paper itself, models, datasets). */
const NOT_PROJECT_HOSTS = /(^|\.)(huggingface\.co|hf\.co|arxiv\.org|doi\.org)$/i;

export interface DailyPageResult {
  records: PaperRecord[];
  problems: ImportProblem[];
  /** The header's listing day as printed ("Jan 8"); it has no year, so it is not a date. */
  listingDay: string | null;
}

interface Line {
  no: number;
  text: string;
}

/**
 * True when the text starts like a copied Daily Papers page: its header ("Daily Papers" among
 * the page's first lines). Without it, a text file of any kind would read as papers (every
 * two lines a title and an abstract).
 */
export function hasPageHeader(head: string): boolean {
  const firstLines = head
    .split(/\r?\n/, 12)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 6);
  return firstLines.includes('Daily Papers');
}

export function parseDailyPage(text: string, source = 'input'): DailyPageResult {
  const lines: Line[] = text
    .split(/\r?\n/)
    .map((raw, i) => ({ no: i + 1, text: raw.trim() }))
    .filter((l) => l.text !== '');
  const records: PaperRecord[] = [];
  const problems: ImportProblem[] = [];
  let listingDay: string | null = null;

  let i = 0;
  // The header: fixed lines and the listing day, in the order the page shows them.
  while (i < lines.length) {
    const line = lines[i] as Line;
    if (HEADER_LINES.has(line.text)) i++;
    else if (LISTING_DAY.test(line.text) && listingDay === null) {
      listingDay = line.text;
      i++;
    } else break;
  }

  while (i < lines.length) {
    const start = lines[i] as Line;
    const block = readBlock(lines, i);
    i = block.next;
    const problem = (message: string, at = start.no) => problems.push({ source, line: at, message });
    if (block.error) {
      problem(block.error.message, block.error.line);
      continue;
    }
    const { title, abstract, authors, organization, date } = block;
    const titleProblem = textProblem(title, 'title');
    if (titleProblem) {
      problem(`the title ${titleProblem}: the line is probably an abstract without its title`);
      continue;
    }
    const abstractProblem = textProblem(abstract, 'abstract');
    if (abstractProblem) {
      problem(`the abstract ${abstractProblem}`);
      continue;
    }
    const record: PaperRecord = {
      line: start.no,
      arxivId: null,
      title,
      abstract,
      authorsCount: authors,
      publishedAt: date?.date ?? null,
      featuredOn: null,
      upvotes: date?.upvotes ?? null,
      organization,
      ...extractLinks(abstract),
    };
    records.push(record);
  }
  return { records, problems, listingDay };
}

interface Block {
  next: number;
  error?: { line: number; message: string };
  title: string;
  abstract: string;
  authors: number | null;
  organization: { name: string; displayName: string | null } | null;
  date: { date: string; upvotes: number | null } | null;
}

const isMeta = (text: string | undefined) =>
  text !== undefined && (AUTHORS.test(text) || text === SEPARATOR || DATE_LINE.test(text));

/**
 * Reads one paper from lines[i]: title, abstract, then optionally an authors or
 * organization line, the separator and the date line. On a malformed block it reports
 * the line and resumes at the next line that can start a paper.
 */
function readBlock(lines: Line[], i: number): Block {
  const title = lines[i] as Line;
  const empty = { title: '', abstract: '', authors: null, organization: null, date: null };
  const fail = (line: number, message: string, next: number): Block => ({ ...empty, next, error: { line, message } });
  if (isMeta(title.text)) {
    let next = i + 1;
    while (next < lines.length && isMeta(lines[next]?.text)) next++;
    return fail(title.no, `expected a paper title, found "${title.text.slice(0, 40)}"`, next);
  }
  const abstract = lines[i + 1];
  if (!abstract || isMeta(abstract.text)) {
    let next = i + 1;
    while (next < lines.length && isMeta(lines[next]?.text)) next++;
    return fail(title.no, `paper "${title.text.slice(0, 60)}" has no abstract`, next);
  }
  let j = i + 2;
  let authors: number | null = null;
  let organization: Block['organization'] = null;
  const authorsMatch = AUTHORS.exec(lines[j]?.text ?? '');
  if (authorsMatch) {
    authors = Number(authorsMatch[1]);
    if (authors < 1) return fail((lines[j] as Line).no, 'a paper has at least 1 author', skipMeta(lines, j));
    j++;
  } else if (lines[j + 1]?.text === SEPARATOR && !isMeta(lines[j]?.text)) {
    // An organization line stands where the authors line would: "HuggingFaceFW FineData"
    // is the organization's handle and then its display name.
    const [name = '', ...rest] = (lines[j] as Line).text.split(/\s+/);
    organization = { name, displayName: rest.length > 0 ? rest.join(' ') : null };
    j++;
  }
  let date: Block['date'] = null;
  if (lines[j]?.text === SEPARATOR) {
    const dateLine = lines[j + 1];
    const m = DATE_LINE.exec(dateLine?.text ?? '');
    if (!dateLine || !m) {
      const at = dateLine?.no ?? (lines[j] as Line).no;
      return fail(
        at,
        `expected a date line such as "Mar 22, 2024 2" after "·", found "${dateLine?.text.slice(0, 40) ?? 'end of file'}"`,
        // The line in the date's place belongs to this block: resume after it.
        Math.min(j + 2, lines.length),
      );
    }
    const iso = toIsoDate(Number(m[3]), MONTHS.indexOf(m[1] as string) + 1, Number(m[2]));
    if (!iso) return fail(dateLine.no, `"${dateLine.text}" is not a real date`, j + 2);
    date = { date: iso, upvotes: m[4] !== undefined ? Number(m[4]) : null };
    j += 2;
  } else if (authors !== null) {
    return fail(
      (lines[j - 1] as Line).no,
      'an authors line must be followed by "·" and a date line',
      skipMeta(lines, j),
    );
  }
  return {
    next: j,
    title: collapseText(title.text),
    abstract: collapseText(abstract.text),
    authors,
    organization,
    date,
  };
}

function skipMeta(lines: Line[], j: number): number {
  let next = j;
  while (next < lines.length && isMeta(lines[next]?.text)) next++;
  return next;
}

function toIsoDate(year: number, month: number, day: number): string | null {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return d.toISOString().slice(0, 10);
}

/** A link if the rule of its kind accepts it, else null (a malformed link is no reason to lose a paper). */
function linkOrNull(raw: string, clean: (url: string) => string): string | null {
  try {
    return clean(raw);
  } catch (error) {
    if (error instanceof ValueProblem) return null;
    throw error;
  }
}

/** The first GitHub repository and the first other project link mentioned in an abstract. */
export function extractLinks(abstract: string): { githubUrl: string | null; projectUrl: string | null } {
  let githubUrl: string | null = null;
  let projectUrl: string | null = null;
  for (const match of abstract.matchAll(URL_PATTERN)) {
    const raw = match[0].replace(/[.,;:!?]+$/, '');
    if (!URL.canParse(raw)) continue;
    const host = new URL(raw).hostname.toLowerCase();
    if (host === 'github.com' || host === 'www.github.com') {
      githubUrl ??= linkOrNull(raw, cleanGithubRepo);
    } else if (projectUrl === null && !NOT_PROJECT_HOSTS.test(host)) {
      projectUrl = linkOrNull(raw, cleanUrl);
    }
  }
  return { githubUrl, projectUrl };
}
